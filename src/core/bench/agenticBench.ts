import { setMaxListeners } from 'node:events';
import { newPool, sendStreaming } from './streamClient';
import { rawPoolFor } from './rawHttpClient';
import { keepText, newTrace, type RequestTrace } from './trace';
import { calculateMetrics } from './metrics';
import { reasoningMetrics, type ReasoningCount } from './reasoningMetrics';
import { summarize, type Summary } from './stats';
import { mapLimit } from '../util/mapLimit';
import { ToolCallAssembler } from '../openai/toolCallAssembly';
import { requestMessages, DEFAULT_CHAT_SETTINGS, type AssistantMessage, type Conversation } from '../chat/conversation';
import { findModel } from '../plan/catalog';
import type { BenchPhase, BenchRun, BenchConfig, Progress } from './runBenchmark';
import type { ServerInfo } from './serverInfo';
import type { StreamLimits } from '../openai/streamLimits';

/**
 * An agentic multi-turn workload: `sessions` conversations, at most `maxConcurrency` (BenchConfig) at once. Each
 * session opens with a user task and the tools below; every answer that ends in tool calls gets one `tool` result per
 * call (`toolResultChars` characters) and the conversation goes on, up to `turns` requests. A text answer ends the
 * session early (a model that never calls a tool costs one request per session, never a loop).
 */
export interface AgenticSpec {
  readonly sessions: number;
  /** Most requests (model turns) per session. */
  readonly turns: number;
  /** Characters of the opening user task (≈4 characters per token on DeepSeek's tokenizer for English text). */
  readonly userPromptChars: number;
  /** Characters of each tool result sent back. */
  readonly toolResultChars: number;
  /** max_completion_tokens of each turn. */
  readonly maxTokensPerTurn: number;
  /**
   * tool_choice of every turn but the last: 'required' (OpenAI: the model must call a tool; vLLM ≥ 0.8.3, SGLang)
   * keeps sessions at exactly `turns` requests; 'auto' lets the model decide. The last turn is always 'auto'.
   */
  readonly toolChoice: 'auto' | 'required';
}

/** Our result section for an agentic run (resultJson puts it under deepseek_deploy.agentic). */
export interface AgenticStats {
  sessions: number;
  sessions_completed: number;
  max_turns: number;
  tool_choice: 'auto' | 'required';
  tool_result_chars: number;
  /** Requests that finished successfully, per session (session order). */
  turns_per_session: number[];
  mean_turns_per_session: number;
  tool_calls_total: number;
  /** Sessions whose every turn succeeded: first send to last token, ms. */
  session_latency_ms: Summary;
}

/**
 * Two coding-agent tools (OpenAI function schemas), the shape agent frameworks send: a file read and a shell command.
 */
export const AGENTIC_TOOLS = [
  { type: 'function', function: { name: 'read_file', description: 'Read a text file of the repository.', parameters: { type: 'object', properties: { path: { type: 'string', description: 'Path relative to the repository root' }, max_lines: { type: 'integer', description: 'Most lines to return' } }, required: ['path'] } } },
  { type: 'function', function: { name: 'run_shell', description: 'Run a shell command in the repository and return its output.', parameters: { type: 'object', properties: { command: { type: 'string' }, timeout_s: { type: 'integer' } }, required: ['command'] } } },
] as const;

/** Deterministic filler of exactly n characters (words of a source listing; no randomness, same prompts every run). */
function filler(head: string, n: number): string {
  const words = ' const result = await readConfig(path); if (!result.ok) throw new Error(result.message); return parse(result.text);';
  let s = head;
  while (s.length < n) s += words;
  return s.slice(0, Math.max(n, head.length));
}

export interface AgenticContext {
  readonly cfg: BenchConfig & { readonly agentic: AgenticSpec };
  readonly base: string;
  readonly path: string;
  readonly model: string;
  readonly modelName: string;
  readonly server: ServerInfo;
  readonly headers: Record<string, string>;
  readonly thinkingFields: Record<string, unknown>;
  readonly limits: StreamLimits;
  readonly prefix: string;
}

/**
 * Runs the agentic sessions (called by runBenchmark when `cfg.agentic` is set, after the server probe; the dataset,
 * warm-ups, ready check and request rate do not apply: sessions start as slots free up). Each request is
 * one trace (TTFT, ITL, E2EL as in every run; index = order sent); assistant turns go back with their tool calls and,
 * where the model's template needs it (catalog reasoningPassback: V4 with tools keeps all), their reasoning, through
 * the chat's own `requestMessages`. Cancelling aborts what is in flight and keeps every finished turn.
 */
export async function runAgenticSessions(ctx: AgenticContext, hooks: { signal?: AbortSignal; onProgress?: (p: Progress) => void; onPhase?: (phase: BenchPhase) => void }): Promise<BenchRun> {
  const { cfg, model } = ctx;
  const spec = cfg.agentic;
  if (!(spec.sessions >= 1 && spec.turns >= 1 && Number.isInteger(spec.sessions) && Number.isInteger(spec.turns))) throw new Error(`agentic: sessions and turns must be whole numbers ≥ 1 (got ${spec.sessions} × ${spec.turns})`);
  if (spec.turns > 64) throw new Error(`agentic: at most 64 turns per session (got ${spec.turns}); each turn resends the whole conversation`);
  for (const [k, n] of [['userPromptChars', spec.userPromptChars], ['toolResultChars', spec.toolResultChars], ['maxTokensPerTurn', spec.maxTokensPerTurn]] as const) {
    // Every turn resends the conversation: sizes are capped so one session's memory stays a few hundred MiB at most.
    if (!(Number.isInteger(n) && n >= 1 && n <= 4 * 1024 * 1024)) throw new Error(`agentic: ${k} must be a whole number from 1 to 4194304 (got ${n})`);
  }
  const concurrency = Math.min(cfg.maxConcurrency ?? spec.sessions, spec.sessions);
  // The same clients as every run: ours (http and https) unless `transport: 'undici'`.
  const raw = cfg.transport !== 'undici' ? rawPoolFor(new URL(ctx.base).origin, ctx.limits, cfg.insecure) : undefined;
  const pool = raw ? undefined : newPool(new URL(ctx.base).origin, concurrency, cfg.insecure);
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  const onCancel = (): void => abort.abort();
  hooks.signal?.addEventListener('abort', onCancel);
  if (hooks.signal?.aborted) abort.abort();
  const catalog = findModel(model);
  const passback = { passback: catalog?.reasoningPassback ?? 'with-tools', toolsDefined: true } as const;
  const extra = { ...(cfg.temperature !== undefined ? { temperature: cfg.temperature } : {}), ...(cfg.extraBody ?? {}) };
  const traces: RequestTrace[] = [];
  const turnsDone = new Array<number>(spec.sessions).fill(0);
  const sessionMs: number[] = [];
  let toolCalls = 0;
  let sent = 0;
  let done = 0;
  let failed = 0;
  let outTokens = 0;
  const total = spec.sessions * spec.turns;
  hooks.onPhase?.('run');
  const t0 = performance.now();
  const startedAt = new Date();
  const progress = (): void => {
    const el = (performance.now() - t0) / 1000;
    hooks.onProgress?.({ elapsedS: el, sent, completed: done, failed, total, reqPerS: done / el, outTokPerS: outTokens / el, inflight: sent - done - failed });
  };
  const ticker = setInterval(progress, 500);
  const session = async (s: number): Promise<void> => {
    const conv: Conversation = { id: `s${s}`, title: '', createdAt: Date.now(), messages: [{ id: 'u0', role: 'user', text: filler(`Session ${s}: find why the build fails and fix it. Use the tools.`, spec.userPromptChars), at: Date.now() }] };
    let first = -1;
    let last = -1;
    for (let turn = 0; turn < spec.turns && !abort.signal.aborted; turn++) {
      const messages = requestMessages(conv, { ...DEFAULT_CHAT_SETTINGS, systemPrompt: '' }, model, passback);
      const body = JSON.stringify({ model: ctx.modelName, messages, tools: AGENTIC_TOOLS, tool_choice: turn < spec.turns - 1 ? spec.toolChoice : 'auto', max_completion_tokens: spec.maxTokensPerTurn, stream: true, stream_options: { include_usage: true }, ...ctx.thinkingFields, ...extra });
      const t = newTrace(traces.length, 0, spec.maxTokensPerTurn);
      keepText(t, false);
      t.tools = new ToolCallAssembler();
      traces.push(t);
      sent++;
      const headers = { ...ctx.headers, 'x-request-id': `${ctx.prefix}s${s}-t${turn}` };
      if (raw) await raw.send(ctx.path, headers, Buffer.from(body), t, abort.signal);
      else await sendStreaming(pool!, { path: ctx.path, body, headers, signal: abort.signal, limits: ctx.limits }, t);
      if (!t.success) {
        if (!t.cancelled) failed++;
        return;
      }
      done++;
      turnsDone[s]++;
      outTokens += t.usageCompletionTokens ?? t.chunks;
      if (first < 0) first = t.startMs;
      last = t.chunks ? t.chunkTimes[t.chunks - 1] : performance.now();
      const calls = t.tools.result();
      t.tools = undefined;
      if (calls.length === 0) break;
      toolCalls += calls.length;
      const answer: AssistantMessage = { id: `a${turn}`, role: 'assistant', reasoning: t.text?.reasoning ?? '', content: t.text?.answer ?? '', state: 'done', model, endpointLabel: '', simulated: ctx.server.simulated, at: Date.now(), toolCalls: calls.map((c) => ({ ...c, result: filler(`{"tool": ${JSON.stringify(c.name)}, "ok": true, "output": "`, spec.toolResultChars) })) };
      conv.messages.push(answer);
    }
    if (first >= 0 && !abort.signal.aborted) sessionMs.push(last - first);
  };
  try {
    await mapLimit(Array.from({ length: spec.sessions }, (_, i) => i), concurrency, session);
    hooks.onPhase?.('done');
    const durationS = (performance.now() - t0) / 1000;
    clearInterval(ticker);
    progress();
    for (const t of traces) if (t.usagePromptTokens !== undefined) t.promptLen = t.usagePromptTokens;
    const metrics = calculateMetrics(traces, durationS, { percentiles: cfg.metricPercentiles, goodput: cfg.goodput, mode: cfg.mode, maxConcurrency: concurrency, requestRate: Infinity });
    const counts = new Map<number, ReasoningCount>();
    for (const t of traces) {
      const x = t.text;
      if (t.success && x?.usageReasoningTokens !== undefined && t.usageCompletionTokens !== undefined) counts.set(t.index, { reasoning: x.usageReasoningTokens, answer: t.usageCompletionTokens - x.usageReasoningTokens, source: 'usage' });
    }
    const agentic: AgenticStats = {
      sessions: spec.sessions,
      sessions_completed: sessionMs.length,
      max_turns: spec.turns,
      tool_choice: spec.toolChoice,
      tool_result_chars: spec.toolResultChars,
      turns_per_session: turnsDone,
      mean_turns_per_session: turnsDone.reduce((a, b) => a + b, 0) / spec.sessions,
      tool_calls_total: toolCalls,
      session_latency_ms: summarize(sessionMs, cfg.metricPercentiles),
    };
    const reasoning = reasoningMetrics(traces, counts, cfg.metricPercentiles);
    return { config: { ...cfg, backend: 'openai-chat', maxConcurrency: concurrency }, model, server: ctx.server, startedAt, durationS, traces, cancelled: abort.signal.aborted, metrics, serverMetrics: [], reasoning, counting: cfg.counting ?? 'truth', agentic };
  } finally {
    clearInterval(ticker);
    hooks.signal?.removeEventListener('abort', onCancel);
    raw?.close();
    await pool?.close().catch(() => undefined);
  }
}
