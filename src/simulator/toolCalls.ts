import type { SimTokenizer } from './tokenizer';
import type { PlannedToken } from './requestPlan';
import type { ToolFormat } from '../core/plan/catalog';

/**
 * A tool call as the model writes it (raw text in the model's own format, reference §5.1), token by token, with what
 * the engine's tool parser streams for each token (reference §5.2): the first delta of a call carries id + name with
 * empty arguments, later ones only argument fragments that concatenate to the JSON object.
 */

/** What a tool parser emits for one token: nothing (markup it swallows), the call's header, or an argument fragment. */
export interface ToolDelta {
  readonly index: number;
  readonly id?: string;
  readonly name?: string;
  readonly args: string;
}

export interface PlannedCall { readonly id: string; readonly name: string; readonly args: Record<string, unknown> }

/** raw: model text; at: when the parser emits (`each` token: the token itself, JSON-escaped when `escape`). */
interface Segment { readonly raw: string; readonly at: 'end' | 'each' | 'none'; readonly json?: string; readonly header?: boolean; readonly escape?: boolean }

const jsonInner = (s: string): string => JSON.stringify(s).slice(1, -1);

/** DSML block names: V3.2 `function_calls`, V4 `tool_calls`, V4.1 the spaced `<｜DSML｜ calls>` form. */
function dsmlSegments(format: 'dsml-v32' | 'dsml-v4' | 'dsml-v41', call: PlannedCall, firstCall: boolean, lastCall: boolean): Segment[] {
  const sp = format === 'dsml-v41' ? ' ' : '';
  const block = format === 'dsml-v32' ? 'function_calls' : format === 'dsml-v4' ? 'tool_calls' : 'calls';
  const T = `<｜DSML｜${sp}`;
  const C = `</｜DSML｜${sp}`;
  const segs: Segment[] = [];
  if (firstCall) segs.push({ raw: `\n\n${T}${block}>\n`, at: 'none' });
  segs.push({ raw: `${T}invoke name="${call.name}">\n`, at: 'end', header: true, json: '' });
  const entries = Object.entries(call.args);
  entries.forEach(([k, v], j) => {
    const lead = `${j === 0 ? '{' : ', '}${JSON.stringify(k)}: `;
    if (typeof v === 'string') {
      // Open string parameters stream as escaped JSON fragments (vLLM V4 parser fast path).
      segs.push({ raw: `${T}parameter name="${k}" string="true">`, at: 'end', json: `${lead}"` });
      segs.push({ raw: v, at: 'each', escape: true });
      segs.push({ raw: `${C}parameter>\n`, at: 'end', json: '"' });
    } else {
      // Numbers, booleans and objects are JSON with string="false", emitted once they parse.
      segs.push({ raw: `${T}parameter name="${k}" string="false">`, at: 'none' });
      segs.push({ raw: JSON.stringify(v), at: 'none' });
      segs.push({ raw: `${C}parameter>\n`, at: 'end', json: `${lead}${JSON.stringify(v)}` });
    }
  });
  segs.push({ raw: `${C}invoke>\n`, at: 'end', json: entries.length ? '}' : '{}' });
  if (lastCall) segs.push({ raw: `${C}${block}>`, at: 'none' });
  return segs;
}

/** V3/R1: `function<｜tool▁sep｜>NAME` + a fenced json block; V3.1: `NAME<｜tool▁sep｜>{json}` (reference §5.1). */
function legacySegments(format: 'v3' | 'v31', call: PlannedCall, firstCall: boolean, lastCall: boolean): Segment[] {
  const segs: Segment[] = [];
  const head = format === 'v3' ? `<｜tool▁call▁begin｜>function<｜tool▁sep｜>${call.name}\n\`\`\`json\n` : `<｜tool▁call▁begin｜>${call.name}<｜tool▁sep｜>`;
  segs.push({ raw: `${firstCall ? '<｜tool▁calls▁begin｜>' : ''}${head}`, at: 'end', header: true, json: '' });
  segs.push({ raw: JSON.stringify(call.args), at: 'each' });
  segs.push({ raw: `${format === 'v3' ? '\n```' : ''}<｜tool▁call▁end｜>${lastCall ? '<｜tool▁calls▁end｜>' : ''}`, at: 'none' });
  return segs;
}

/** The tokens of one assistant turn's tool calls; `tool` says what the parser streams for each token. */
export function toolCallTokens(tok: SimTokenizer, format: ToolFormat, calls: readonly PlannedCall[]): PlannedToken[] {
  const out: PlannedToken[] = [];
  calls.forEach((call, index) => {
    const segs = format === 'v3' || format === 'v31' ? legacySegments(format, call, index === 0, index === calls.length - 1) : dsmlSegments(format, call, index === 0, index === calls.length - 1);
    for (const seg of segs) {
      const pieces = tok.pieces(seg.raw);
      pieces.forEach((piece, k) => {
        const last = k === pieces.length - 1;
        let tool: ToolDelta | undefined;
        if (seg.at === 'each') tool = { index, args: seg.escape ? jsonInner(piece) : piece };
        else if (seg.at === 'end' && last) tool = seg.header ? { index, id: call.id, name: call.name, args: '' } : { index, args: seg.json ?? '' };
        out.push({ text: piece, parsed: 'tool', tool });
      });
    }
  });
  return out;
}
