import type { Flavor } from './engineArgs';
import { HttpError, type Json } from './serverContext';
import { SPECIAL } from './tokenizer';
import type { ModelVariant } from '../core/plan/catalog';

/**
 * How each DeepSeek generation behaves per request, as the engines' chat encoders and parsers do it. Facts from
 * shared/reference/deepseek-family.md §4 (source keys VL-V4tok, VL-V4enc, VL-V32tok, VR-V31, SG-V4, SG-V41 …).
 */

export interface ThinkingChoice {
  readonly thinking: boolean;
  /** The effort level as the encoder uses it (V4: high | max | low; V4.1: low | high | xhigh | max), when thinking. */
  readonly effort?: string;
  /** Reasoning length relative to the default level (how much more a model thinks at max). */
  readonly scale: number;
}

const EFFORT_SCALE: Readonly<Record<string, number>> = { low: 0.5, high: 1, xhigh: 1.5, max: 2 };

const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/**
 * Thinking on or off for one request, and at what effort:
 * - V3 never thinks; R1 always does.
 * - V3.1 / V3.2: `chat_template_kwargs.thinking` (vLLM also reads `enable_thinking`; SGLang only `thinking`); off by default.
 * - V4: `chat_template_kwargs.thinking` / `enable_thinking` and `reasoning_effort` (high | max; "none" = chat mode;
 *   low/minimal/medium → low on vLLM). Default: vLLM thinks at high, SGLang does not (reference §4.2, §8.5).
 * - V4.1: also the top-level OpenAI `reasoning_effort`: "none" turns thinking off; vLLM rejects minimal/medium; on
 *   SGLang any other value turns thinking on. Defaults as V4.
 * Throws HttpError(400) for values the engine rejects.
 */
export function resolveThinking(model: ModelVariant, flavor: Flavor, body: Json): ThinkingChoice {
  if (model.reasoning === 'none') return { thinking: false, scale: 1 };
  if (model.reasoning === 'always') return { thinking: true, scale: 1 };
  const kw = (body.chat_template_kwargs && typeof body.chat_template_kwargs === 'object' ? body.chat_template_kwargs : {}) as Json;
  const v4 = model.family === 'V4-Flash' || model.family === 'V4-Pro';
  const v41 = model.family === 'V4.1-Flash';
  let thinking = bool(kw.thinking) ?? (flavor === 'vllm' || v4 || v41 ? bool(kw.enable_thinking) : undefined);
  if (flavor === 'vllm' && typeof kw.thinking === 'boolean' && typeof kw.enable_thinking === 'boolean' && kw.thinking !== kw.enable_thinking && v41) {
    throw new HttpError(400, 'chat_template_kwargs: "thinking" and "enable_thinking" must agree');
  }
  if (!v4 && !v41) return { thinking: thinking ?? model.thinkingDefault[flavor], scale: 1 };
  let effort = typeof kw.reasoning_effort === 'string' ? kw.reasoning_effort : undefined;
  const top = typeof body.reasoning_effort === 'string' ? body.reasoning_effort : undefined;
  if (v41 && top !== undefined) {
    if (top === 'none') thinking = false;
    else {
      if (flavor === 'vllm' && (top === 'minimal' || top === 'medium')) throw new HttpError(400, `reasoning_effort "${top}" is not supported by this model: use none, low, high, xhigh or max`);
      if (flavor === 'sglang') thinking = true;
      effort ??= top;
    }
  }
  if (effort === 'none') thinking = false;
  if (flavor === 'vllm' && effort !== undefined && ['minimal', 'medium'].includes(effort) && v4) effort = 'low';
  thinking ??= model.thinkingDefault[flavor];
  if (!thinking) return { thinking: false, scale: 1 };
  const level = effort !== undefined && effort in EFFORT_SCALE ? effort : 'high';
  return { thinking: true, effort: level, scale: EFFORT_SCALE[level] };
}

export interface ToolSpec { readonly name: string; readonly parameters: Json }

/** The tools a request offers (OpenAI `tools: [{type: "function", function: {name, parameters}}]`). */
export function requestTools(body: Json): ToolSpec[] {
  if (!Array.isArray(body.tools)) return [];
  const out: ToolSpec[] = [];
  for (const t of body.tools as unknown[]) {
    const f = t && typeof t === 'object' ? (t as Json).function : undefined;
    if (!f || typeof f !== 'object') throw new HttpError(400, 'tools: each tool must be {"type": "function", "function": {"name": …}}');
    const name = (f as Json).name;
    if (typeof name !== 'string' || !name) throw new HttpError(400, 'tools: function.name is required');
    const params = (f as Json).parameters;
    out.push({ name, parameters: params && typeof params === 'object' ? (params as Json) : {} });
  }
  return out;
}

/**
 * Whether the model's next turn is a tool call: tools are offered, tool_choice is not "none", and the conversation
 * does not end with a tool result (after a result the model answers) unless tool_choice is "required" (OpenAI: the
 * model must call a tool; the agentic benchmark uses it to keep a tool loop going). The named tool of tool_choice wins.
 */
export function chooseToolCall(model: ModelVariant, body: Json, tools: readonly ToolSpec[]): ToolSpec | undefined {
  if (!model.toolCalls || tools.length === 0 || body.tool_choice === 'none') return undefined;
  const msgs = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const last = msgs[msgs.length - 1];
  if (!last) return undefined;
  const afterResult = last.role === 'tool' || (typeof last.content === 'string' && last.content.includes('<tool_result>'));
  if (afterResult && body.tool_choice !== 'required') return undefined;
  const tc = body.tool_choice;
  if (tc && typeof tc === 'object') {
    const name = ((tc as Json).function as Json | undefined)?.name;
    const named = tools.find((t) => t.name === name);
    if (!named) throw new HttpError(400, `tool_choice names a function that is not in tools: ${JSON.stringify(name)}`);
    return named;
  }
  return tools[0];
}

const SAMPLE_STRINGS = ['Paris', 'deepseek deploy', 'H200', 'celsius'];

/** Deterministic arguments for a tool from its JSON schema: required properties (or all), typed sample values. */
export function sampleArguments(tool: ToolSpec): Record<string, unknown> {
  const props = (tool.parameters.properties && typeof tool.parameters.properties === 'object' ? tool.parameters.properties : {}) as Record<string, Json>;
  const required = Array.isArray(tool.parameters.required) ? (tool.parameters.required as string[]) : Object.keys(props);
  const out: Record<string, unknown> = {};
  required.forEach((k, i) => {
    const p = props[k] ?? {};
    if (Array.isArray(p.enum) && p.enum.length) out[k] = p.enum[0];
    else if (p.type === 'integer' || p.type === 'number') out[k] = 3;
    else if (p.type === 'boolean') out[k] = true;
    else if (p.type === 'array') out[k] = [];
    else if (p.type === 'object') out[k] = {};
    else out[k] = SAMPLE_STRINGS[i % SAMPLE_STRINGS.length];
  });
  return out;
}

interface Msg { role: string; content: string; reasoning?: string; toolCalls?: { name: string; arguments: string }[] }

function text(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p: unknown) => (p && typeof p === 'object' && 'text' in p && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

function messagesOf(body: Json): Msg[] {
  return (body.messages as Json[]).map((m) => {
    const r = m.reasoning ?? m.reasoning_content;
    const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as Json[]).map((c) => {
      const f = (c.function ?? {}) as Json;
      return { name: typeof f.name === 'string' ? f.name : '', arguments: typeof f.arguments === 'string' ? f.arguments : JSON.stringify(f.arguments ?? {}) };
    }) : undefined;
    return { role: String(m.role), content: text(m.content), reasoning: typeof r === 'string' ? r : undefined, toolCalls: calls };
  });
}

/**
 * The prompt text the engine's chat encoder builds (DeepSeek templates, reference §4.3): BOS, system, user and
 * assistant turns, then the generation prompt. What earlier reasoning survives follows the model:
 * - R1 / V3.1: dropped; V3.2: kept only inside the current tool loop (after the last user message);
 * - V4 / V4.1 with tools defined: kept for every earlier assistant turn; without tools dropped before the last user.
 * Tool results become `<tool_result>` blocks in the next user turn (V4) or tool-output turns (V3.x). The generation
 * prompt ends with `<think>` (thinking; R1 adds a newline) or `</think>` (hybrid, thinking off).
 */
export function renderPrompt(model: ModelVariant, body: Json, choice: ThinkingChoice, tools: readonly ToolSpec[], addGenerationPrompt = true): string {
  const msgs = messagesOf(body);
  let lastUser = -1;
  msgs.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  const keepAll = model.reasoningPassback === 'with-tools' && tools.length > 0;
  const v4 = model.reasoningPassback === 'with-tools';
  let s = SPECIAL.bos.text;
  let first = true;
  const effortNote = (): string => {
    if (!first || !choice.thinking || !choice.effort) return '';
    if (model.family === 'V4.1-Flash') return `Reasoning Effort: ${{ low: 25, high: 50, xhigh: 75, max: 100 }[choice.effort] ?? 50}\n\n`;
    return choice.effort === 'max' ? 'Reasoning Effort: Absolute maximum with no shortcuts permitted.\n\n' : '';
  };
  const toolBlock = tools.length ? `## Tools\n${tools.map((t) => `- ${t.name}`).join('\n')}\n\n` : '';
  if (toolBlock) s += toolBlock;
  let pendingResults: string[] = [];
  const flushResults = (): void => {
    if (!pendingResults.length) return;
    s += SPECIAL.user.text + pendingResults.map((r) => `<tool_result>${r}</tool_result>`).join('');
    pendingResults = [];
  };
  msgs.forEach((m, i) => {
    if (m.role === 'system') s += m.content;
    else if (m.role === 'tool') {
      if (v4) pendingResults.push(m.content);
      else s += `<｜tool▁outputs▁begin｜>${m.content}<｜tool▁outputs▁end｜>`;
    } else if (m.role === 'user') {
      if (v4 && pendingResults.length) {
        s += SPECIAL.user.text + pendingResults.map((r) => `<tool_result>${r}</tool_result>`).join('') + m.content;
        pendingResults = [];
      } else s += SPECIAL.user.text + effortNote() + m.content;
      first = false;
    } else if (m.role === 'assistant') {
      flushResults();
      const keep = model.reasoning === 'hybrid' && (keepAll || (model.reasoningPassback !== 'drop' && i > lastUser));
      const answer = m.content.includes('</think>') ? m.content.split('</think>').pop() ?? '' : m.content;
      const think = model.reasoning === 'hybrid' ? (keep && m.reasoning ? `<think>${m.reasoning}</think>` : '</think>') : '';
      const calls = (m.toolCalls ?? []).map((c) => `<tool_call name="${c.name}">${c.arguments}</tool_call>`).join('');
      s += SPECIAL.assistant.text + think + answer + calls + SPECIAL.eos.text;
    }
  });
  flushResults();
  if (!addGenerationPrompt) return s;
  s += SPECIAL.assistant.text;
  if (model.reasoning === 'always') return s + (model.emitsOpeningThink ? '' : `${SPECIAL.thinkOpen.text}\n`);
  if (model.reasoning === 'hybrid') return s + (choice.thinking ? SPECIAL.thinkOpen.text : SPECIAL.thinkClose.text);
  return s;
}
