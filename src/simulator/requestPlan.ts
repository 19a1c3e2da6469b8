import { fillerPieces, generateText, hashString } from './textGen';
import { SPECIAL, type SimTokenizer } from './tokenizer';
import { toolCallTokens, type PlannedCall, type ToolDelta } from './toolCalls';
import type { ToolFormat } from '../core/plan/catalog';

/** Where a parser routes a token: reasoning, answer, swallowed ("none", e.g. </think>), or a tool call's text. */
export type Channel = 'reasoning' | 'content' | 'none' | 'tool';

/** One generated token: its text, where a reasoning parser routes it, and what a tool parser streams for it. */
export interface PlannedToken { text: string; parsed: Channel; tool?: ToolDelta }

export interface RequestPlan {
  readonly tokens: PlannedToken[];
  /** tool_calls: the turn ended in a tool call (what a tool parser reports; raw text otherwise ends with stop). */
  readonly finishReason: 'stop' | 'length' | 'tool_calls';
  readonly stopReason: string | number | null;
}

export interface PlanInput {
  readonly seed: number;
  readonly maxTokens: number;
  readonly ignoreEos: boolean;
  readonly stop: readonly string[];
  readonly chat: boolean;
  /** The model reasons in this turn (R1 always; hybrid models when thinking is on). */
  readonly reasoningModel: boolean;
  readonly emitsOpeningThink: boolean;
  /** Reasoning length relative to the default effort (V4 max thinks about twice as long as high). */
  readonly reasoningScale?: number;
  /** The turn is a tool call in this format instead of an answer. */
  readonly toolCall?: { readonly format: ToolFormat; readonly calls: readonly PlannedCall[] };
  /** A scripted reply (`--replies`): its reasoning and answer replace the generated text. */
  readonly canned?: CannedReply;
}

/** One entry of a `--replies` file: used when the last user message contains `match`. */
export interface CannedReply { readonly match: string; readonly reasoning?: string; readonly answer: string }

const pieceCache = new Map<string, string[]>();
/** Tokenizes each distinct part once; the generator reuses a few dozen sentences, and this runs on every request. */
function piecesOf(tok: SimTokenizer, parts: readonly string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    let p = pieceCache.get(part);
    if (!p) {
      p = tok.pieces(part);
      if (pieceCache.size < 4096) pieceCache.set(part, p);
    }
    for (const x of p) out.push(x);
  }
  return out;
}

/** Decides every token of a response up front, so streaming and non-streaming answers are the same text. */
export function planResponse(tok: SimTokenizer, p: PlanInput): RequestPlan {
  const tokens: PlannedToken[] = [];
  if (p.chat) {
    const gen = generateText(p.seed, p.reasoningModel, p.reasoningScale ?? 1);
    // A scripted reply goes through the same tokenizer and parser path as generated text: only the words differ.
    const g = p.canned ? { reasoningParts: p.canned.reasoning ? [p.canned.reasoning] : [], answerParts: [p.canned.answer] } : gen;
    if (p.reasoningModel) {
      if (p.emitsOpeningThink) {
        tokens.push({ text: SPECIAL.thinkOpen.text, parsed: 'none' }, { text: '\n', parsed: 'none' });
      }
      for (const piece of p.canned ? tok.pieces(g.reasoningParts.join('')) : piecesOf(tok, g.reasoningParts)) tokens.push({ text: piece, parsed: 'reasoning' });
      tokens.push({ text: SPECIAL.thinkClose.text, parsed: 'none' });
      if (!p.toolCall) tokens.push({ text: '\n', parsed: 'content' }, { text: '\n', parsed: 'content' });
    }
    if (p.toolCall) tokens.push(...toolCallTokens(tok, p.toolCall.format, p.toolCall.calls));
    else for (const piece of p.canned ? tok.pieces(p.canned.answer) : piecesOf(tok, g.answerParts)) tokens.push({ text: piece, parsed: 'content' });
  } else {
    for (const piece of piecesOf(tok, generateText(p.seed, false).answerParts)) tokens.push({ text: piece, parsed: 'content' });
  }
  let finishReason: RequestPlan['finishReason'] = p.toolCall ? 'tool_calls' : 'stop';
  const stopReason: RequestPlan['stopReason'] = null;
  if (p.ignoreEos) {
    const filler = fillerPieces(p.seed, p.maxTokens - tokens.length, (t) => tok.pieces(t));
    for (let i = 0; tokens.length < p.maxTokens; i++) tokens.push({ text: filler[i], parsed: 'content' });
  } else {
    // The EOS token is generated and counted but has no text.
    tokens.push({ text: '', parsed: 'none' });
  }
  if (p.stop.length) {
    let text = '';
    for (let i = 0; i < tokens.length && i < p.maxTokens; i++) {
      text += tokens[i].text;
      const hit = p.stop.find((s) => s && text.includes(s));
      if (hit) {
        const over = text.length - text.indexOf(hit);
        const t = tokens[i];
        tokens.length = i + 1;
        tokens[i] = { ...t, text: t.text.slice(0, Math.max(0, t.text.length - over)) };
        return { tokens, finishReason: 'stop', stopReason: hit };
      }
    }
  }
  if (tokens.length > p.maxTokens) {
    tokens.length = p.maxTokens;
    finishReason = 'length';
  } else if (p.ignoreEos) {
    finishReason = 'length';
  }
  return { tokens, finishReason, stopReason };
}

export function requestSeed(simSeed: number, reqSeed: unknown, promptText: string, counter: number, temperature: unknown): number {
  // Greedy or seeded requests repeat; sampled ones vary per request, as on a real engine.
  const base = typeof reqSeed === 'number' ? reqSeed : temperature === 0 ? 0 : counter;
  return (hashString(promptText) ^ Math.imul(base + 1, 2654435761) ^ simSeed) >>> 0;
}
