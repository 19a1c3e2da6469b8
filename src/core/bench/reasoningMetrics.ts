import { summarize, type Summary } from './stats';
import type { RequestTrace } from './trace';

/** Token counts of one request's reasoning and answer. */
export interface ReasoningCount {
  reasoning: number;
  answer: number;
  /** 'usage' = usage.completion_tokens_details.reasoning_tokens; 'tokenize' = the server's /tokenize of the text; 'chunks' = one per streamed chunk. */
  source: 'usage' | 'tokenize' | 'chunks';
}

/** What a reasoning model (R1, V3.1+/V4 with thinking on) spent thinking, over the successful requests. */
export interface ReasoningMetrics {
  /** Requests whose stream carried any reasoning. */
  requestsWithReasoning: number;
  /** Time to first output token (first answer text, not reasoning), ms; requests that never answered are left out. */
  ttfo: Summary;
  /** TTFO − TTFT per request with reasoning (from the first streamed token to the first answer token), ms. */
  thinkingTime: Summary;
  /** E2EL − TTFO per answered request (writing the answer), ms. */
  answerTime: Summary;
  totalReasoningTokens: number;
  totalAnswerTokens: number;
  /** True when any count came from /tokenize or from chunks rather than the server's usage details. */
  tokensEstimated: boolean;
  /** Per request (index order, successful ones): [thinking ms, answer ms] for the results panel's chart. */
  perRequest: { index: number; thinkingMs: number; answerMs: number; reasoningTokens: number; answerTokens: number }[];
}

/**
 * Reasoning-aware metrics from traces that kept their text (chunk flag 2 = reasoning, 1 = answer): TTFO is the first
 * answer chunk's receive time − the request's start (AIPerf's "time to first output token", GuideLLM's TTFOT). Counts
 * come from `counts` (by trace index); requests with no count fall back to chunk counts.
 */
export function reasoningMetrics(traces: readonly RequestTrace[], counts: ReadonlyMap<number, ReasoningCount>, percentiles: readonly number[]): ReasoningMetrics {
  const ttfo: number[] = [];
  const thinking: number[] = [];
  const answerTime: number[] = [];
  const perRequest: ReasoningMetrics['perRequest'] = [];
  let withReasoning = 0;
  let totalR = 0;
  let totalA = 0;
  let estimated = false;
  for (const t of traces) {
    if (!t.success || t.chunks === 0) continue;
    let firstReasoning = -1;
    let firstAnswer = -1;
    let rChunks = 0;
    let aChunks = 0;
    for (let i = 0; i < t.chunks; i++) {
      const f = t.textFlags[i];
      if (f === 2) {
        rChunks++;
        if (firstReasoning < 0) firstReasoning = i;
      } else if (f === 1) {
        aChunks++;
        if (firstAnswer < 0) firstAnswer = i;
      }
    }
    const c = counts.get(t.index) ?? { reasoning: rChunks, answer: aChunks, source: 'chunks' as const };
    if (c.source !== 'usage') estimated = true;
    totalR += c.reasoning;
    totalA += c.answer;
    const ttftMs = t.chunkTimes[0] - t.startMs;
    const endMs = t.chunkTimes[t.chunks - 1] - t.startMs;
    if (firstReasoning >= 0) withReasoning++;
    let thinkMs = 0;
    let ansMs = 0;
    if (firstAnswer >= 0) {
      const ttfoMs = t.chunkTimes[firstAnswer] - t.startMs;
      ttfo.push(ttfoMs);
      ansMs = endMs - ttfoMs;
      answerTime.push(ansMs);
      if (firstReasoning >= 0) thinkMs = ttfoMs - ttftMs;
    } else if (firstReasoning >= 0) thinkMs = endMs - ttftMs;
    if (firstReasoning >= 0) thinking.push(thinkMs);
    perRequest.push({ index: t.index, thinkingMs: thinkMs, answerMs: ansMs, reasoningTokens: c.reasoning, answerTokens: c.answer });
  }
  return {
    requestsWithReasoning: withReasoning,
    ttfo: summarize(ttfo, percentiles),
    thinkingTime: summarize(thinking, percentiles),
    answerTime: summarize(answerTime, percentiles),
    totalReasoningTokens: totalR,
    totalAnswerTokens: totalA,
    tokensEstimated: estimated,
    perRequest,
  };
}
