import { fillerText, generateText, hashString } from './textGen';
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
}

/** Decides every token of a response up front, so streaming and non-streaming answers are the same text. */
export function planResponse(tok: SimTokenizer, p: PlanInput): RequestPlan {
  const tokens: PlannedToken[] = [];
  if (p.chat) {
    const g = generateText(p.seed, p.reasoningModel);
    if (p.reasoningModel) {
      if (p.emitsOpeningThink) {
        tokens.push({ text: SPECIAL.thinkOpen.text, parsed: 'none' }, { text: '\n', parsed: 'none' });
      }
      for (const piece of tok.pieces(g.reasoning)) tokens.push({ text: piece, parsed: 'reasoning' });
      tokens.push({ text: SPECIAL.thinkClose.text, parsed: 'none' });
      tokens.push({ text: '\n', parsed: 'content' }, { text: '\n', parsed: 'content' });
    }
    for (const piece of tok.pieces(g.answer)) tokens.push({ text: piece, parsed: 'content' });
  } else {
    for (const piece of tok.pieces(generateText(p.seed, false).answer)) tokens.push({ text: piece, parsed: 'content' });
  }
  let finishReason: RequestPlan['finishReason'] = 'stop';
  const stopReason: RequestPlan['stopReason'] = null;
  if (p.ignoreEos) {
    const filler = tok.pieces(fillerText(p.seed));
    for (let i = 0; tokens.length < p.maxTokens; i++) tokens.push({ text: filler[i % filler.length], parsed: 'content' });
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
