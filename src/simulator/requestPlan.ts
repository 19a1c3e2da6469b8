import { fillerPieces, generateText, hashString } from './textGen';
import { SPECIAL, type SimTokenizer } from './tokenizer';

export type Channel = 'reasoning' | 'content' | 'none';

/** One generated token: its text and where a reasoning parser routes it ("none": swallowed, e.g. </think>). */
export interface PlannedToken { text: string; parsed: Channel }

export interface RequestPlan {
  readonly tokens: PlannedToken[];
  readonly finishReason: 'stop' | 'length';
  readonly stopReason: string | number | null;
}

export interface PlanInput {
  readonly seed: number;
  readonly maxTokens: number;
  readonly ignoreEos: boolean;
  readonly stop: readonly string[];
  readonly chat: boolean;
  readonly reasoningModel: boolean;
  readonly emitsOpeningThink: boolean;
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
    const gen = generateText(p.seed, p.reasoningModel);
    // A scripted reply goes through the same tokenizer and parser path as generated text: only the words differ.
    const g = p.canned ? { reasoningParts: p.canned.reasoning ? [p.canned.reasoning] : [], answerParts: [p.canned.answer] } : gen;
    if (p.reasoningModel) {
      if (p.emitsOpeningThink) {
        tokens.push({ text: SPECIAL.thinkOpen.text, parsed: 'none' }, { text: '\n', parsed: 'none' });
      }
      for (const piece of p.canned ? tok.pieces(g.reasoningParts.join('')) : piecesOf(tok, g.reasoningParts)) tokens.push({ text: piece, parsed: 'reasoning' });
      tokens.push({ text: SPECIAL.thinkClose.text, parsed: 'none' });
      tokens.push({ text: '\n', parsed: 'content' }, { text: '\n', parsed: 'content' });
    }
    for (const piece of p.canned ? tok.pieces(p.canned.answer) : piecesOf(tok, g.answerParts)) tokens.push({ text: piece, parsed: 'content' });
  } else {
    for (const piece of piecesOf(tok, generateText(p.seed, false).answerParts)) tokens.push({ text: piece, parsed: 'content' });
  }
  let finishReason: RequestPlan['finishReason'] = 'stop';
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
