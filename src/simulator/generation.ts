import type * as http from 'node:http';
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hrNowMs, hrOffsetMs } from '../core/util/monotonicClock';
import { streamingErrorBody } from './dialect';
import { planResponse, requestSeed, type CannedReply, type PlannedToken, type RequestPlan } from './requestPlan';
import type { SimTokenizer } from './tokenizer';
import type { ServerCounters } from './metrics';
import { SseWriter } from './sseWriter';
import type { Admission } from './admission';
import { HttpError, type Json, type ServerContext } from './serverContext';
import { chatChoice, chatMessageChoice, completionChoice, roleChoice, tokenDelta, type ActiveParsers } from './chunkShape';
import { chooseToolCall, renderPrompt, requestTools, resolveThinking, sampleArguments } from './familyBehaviour';

/** 32 hex digits like uuid4().hex, from the batched UUID generator (cheaper per request than randomBytes). */
export const hexId = (): string => randomUUID().replaceAll('-', '');

/** vLLM V1's EngineDeadError text, what clients see when the engine core dies under a request. */
export const ENGINE_DEAD_MESSAGE = 'EngineCore encountered an issue. See stack trace (above) for the root cause.';

/** Never produced by the text generator, so it marks where a token's text goes in a chunk template. */
const TEXT_MARKER = '\u0001text\u0001';

const created = (): number => Math.floor(Date.now() / 1000);

/** performance.now() + hrOffset = process.hrtime in ms (CLOCK_MONOTONIC, shared by every process on the machine). */
const hrOffset = hrOffsetMs();

/** State shared by every request of one server. */
export interface GenerationDeps {
  readonly tok: SimTokenizer;
  readonly counters: ServerCounters;
  readonly rnd: () => number;
  readonly admission: Admission;
  readonly writeLogs: Map<string, { arrivedMs: number; writes: number[]; channels: string[] }>;
  readonly readBody: (req: http.IncomingMessage) => Promise<Json>;
  readonly checkModel: (body: Json) => string;
  readonly sendJson: (res: http.ServerResponse, status: number, body: unknown) => void;
}

/** `--tool-call-parser` names the model's parser (or SGLang's `auto`), so it can find the model's tool-call text. */
function toolParserFits(ctx: ServerContext): boolean {
  const given = ctx.cfg.given.tool_call_parser;
  if (typeof given !== 'string') return false;
  if (ctx.dialect.flavor === 'vllm' && ctx.cfg.given.enable_auto_tool_choice !== true) return false;
  return given === 'auto' || given === ctx.model.parsers[ctx.dialect.flavor].tool;
}

/** POST /v1/chat/completions and /v1/completions: plan every token, then stream or answer on the engine's clock. */
export function createGenerationHandler(ctx: ServerContext, deps: GenerationDeps): (req: http.IncomingMessage, res: http.ServerResponse, chat: boolean) => Promise<void> {
  const { tok, counters, rnd, admission, writeLogs } = deps;
  let requestCounter = 0;

  const maxTokensOf = (body: Json, promptLen: number): number => {
    const mt = body.max_completion_tokens ?? body.max_tokens;
    if (mt === undefined || mt === null) return Math.max(1, ctx.maxModelLen - promptLen);
    if (typeof mt !== 'number' || !Number.isInteger(mt) || mt < 1) throw new HttpError(400, `max_tokens must be at least 1, got ${JSON.stringify(mt)}.`);
    if (promptLen + mt > ctx.maxModelLen) {
      throw new HttpError(400, `This model's maximum context length is ${ctx.maxModelLen} tokens. However, you requested ${promptLen + mt} tokens (${promptLen} in the messages, ${mt} in the completion). Please reduce the length of the messages or completion.`);
    }
    return mt;
  };

  const stopList = (body: Json): string[] => (typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === 'string') : []);

  /** Runs one sequence on the engine's single clock; onDone runs once, after the last token or a stop. */
  const generate = (promptTokens: number, tokens: PlannedToken[], arrivedAt: number, onToken: (i: number) => boolean, onDone: () => void): (() => void) => {
    counters.promptTokens += promptTokens;
    const n = tokens.length;
    let finished = false;
    return ctx.clock.submit({
      promptTokens,
      maxTokens: n,
      arrivedAt,
      onToken: (i) => {
        const keep = onToken(i);
        counters.generationTokens++;
        if ((!keep || i + 1 >= n) && !finished) {
          finished = true;
          setImmediate(onDone);
        }
        return keep;
      },
    });
  };

  /** Tokenizing, templating and planning for one request (inside an admission slice). */
  const prepare = (body: Json, chat: boolean, id: string) => {
    let prompts: { text: string; ids: number[] }[];
    let canned: CannedReply | undefined;
    let thinking = { thinking: false, scale: 1 } as ReturnType<typeof resolveThinking>;
    let toolCall: Parameters<typeof planResponse>[1]['toolCall'];
    let parsers: ActiveParsers = { reasoning: false, tools: false };
    if (chat) {
      if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages: field required and must be a non-empty list');
      thinking = resolveThinking(ctx.model, ctx.dialect.flavor, body);
      const tools = requestTools(body);
      const toolParser = toolParserFits(ctx);
      const autoChoice = body.tool_choice === undefined || body.tool_choice === 'auto';
      if (tools.length && autoChoice && ctx.dialect.flavor === 'vllm' && !(ctx.cfg.given.enable_auto_tool_choice === true && typeof ctx.cfg.given.tool_call_parser === 'string')) {
        // vLLM serving_chat refuses "auto" tool choice without the flags (vllm-project/vllm#9986).
        throw new HttpError(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
      }
      const chosen = chooseToolCall(ctx.model, body, tools);
      if (chosen) toolCall = { format: ctx.model.toolFormat, calls: [{ id: ctx.dialect.flavor === 'vllm' ? `chatcmpl-tool-${hexId()}` : `call_${hexId().slice(0, 24)}`, name: chosen.name, args: sampleArguments(chosen) }] };
      parsers = { reasoning: thinking.thinking && !!ctx.cfg.reasoningParser && body.separate_reasoning !== false, tools: toolParser };
      const text = renderPrompt(ctx.model, body, thinking, tools);
      prompts = [{ text, ids: tok.encode(text) }];
      if (ctx.cfg.given.enable_log_requests === true) ctx.log?.(`Received request ${id}: prompt: ${JSON.stringify(text)}`);
      if (ctx.sim.replies?.length) {
        const users = (body.messages as Json[]).filter((m) => m.role === 'user');
        const last = users.length ? users[users.length - 1].content : '';
        const said = typeof last === 'string' ? last : JSON.stringify(last);
        // The reply whose match appears last: clients may merge earlier unanswered turns into this one.
        let at = -1;
        for (const r of ctx.sim.replies) {
          const i = said.lastIndexOf(r.match);
          if (i > at) [at, canned] = [i, r];
        }
      }
    } else {
      const p = body.prompt;
      const list: unknown[] = typeof p === 'string' ? [p] : Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number') ? [p] : Array.isArray(p) ? p : [];
      if (list.length === 0) throw new HttpError(400, 'prompt: field required (a string, a list of strings, or token ids)');
      prompts = list.map((x) => {
        if (typeof x === 'string') return { text: x, ids: tok.encode(x) };
        if (Array.isArray(x) && x.every((t) => Number.isInteger(t) && (t as number) >= 0)) return { text: tok.decode(x as number[]), ids: x as number[] };
        throw new HttpError(400, 'prompt: each prompt must be a string or a list of token ids');
      });
    }
    const maxTokensPerPrompt = prompts.map((p) => maxTokensOf(body, p.ids.length));
    requestCounter++;
    const stream = body.stream === true;
    const injectFailure = ctx.sim.failRate > 0 && rnd() < ctx.sim.failRate;
    if (injectFailure && !stream) {
      counters.finished('abort');
      throw new HttpError(500, ENGINE_DEAD_MESSAGE);
    }
    const streamOptions = (body.stream_options ?? {}) as Json;
    const includeUsage = stream && streamOptions.include_usage === true;
    const continuousUsage = includeUsage && streamOptions.continuous_usage_stats === true && ctx.dialect.flavor === 'vllm';
    const plans: RequestPlan[] = prompts.map((p, idx) => {
      const plan = planResponse(tok, {
        seed: requestSeed(ctx.sim.seed, body.seed, p.text, requestCounter * 131 + idx, body.temperature),
        maxTokens: maxTokensPerPrompt[idx],
        ignoreEos: body.ignore_eos === true,
        stop: stopList(body),
        chat,
        reasoningModel: chat && thinking.thinking,
        emitsOpeningThink: ctx.model.emitsOpeningThink,
        reasoningScale: thinking.scale,
        toolCall,
        canned,
      });
      // Without a tool parser the call is just text: the turn ends like any answer.
      return plan.finishReason === 'tool_calls' && !parsers.tools ? { ...plan, finishReason: 'stop' } : plan;
    });
    return { prompts, plans, stream, injectFailure, includeUsage, continuousUsage, parsers };
  };

  return async (req, res, chat) => {
    const body = await deps.readBody(req);
    // Written before the answer starts (synchronously), so a client that got a response finds its request in the file.
    if (ctx.sim.requestLog) appendFileSync(ctx.sim.requestLog, `${JSON.stringify({ path: chat ? '/v1/chat/completions' : '/v1/completions', body })}\n`, { mode: 0o600 });
    const model = deps.checkModel(body);
    const arrivedAt = performance.now();
    const id = chat ? (ctx.dialect.flavor === 'vllm' ? `chatcmpl-${hexId()}` : hexId()) : `cmpl-${hexId()}`;
    // Tokenizing and planning run in time-boxed slices between engine steps, so a burst of arrivals cannot stall
    // the token clock of the streams already running (see Admission).
    const { prompts, plans, stream, injectFailure, includeUsage, continuousUsage, parsers } = await admission.run(() => prepare(body, chat, id));
    if (injectFailure && !stream) {
      counters.finished('abort');
      throw new HttpError(500, ENGINE_DEAD_MESSAGE);
    }
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const ts = created();
    const promptTokens = prompts.reduce((s, p) => s + p.ids.length, 0);
    const startedAt = arrivedAt;
    let firstTokenAt = 0;
    const generated = plans.map(() => 0);
    const usage = (): Json => {
      const completion = generated.reduce((a, b) => a + b, 0);
      return { prompt_tokens: promptTokens, total_tokens: promptTokens + completion, completion_tokens: completion, ...(ctx.dialect.flavor === 'vllm' ? {} : { prompt_tokens_details: null }) };
    };
    const extraHeaders = { 'x-deepseek-simulated': '1', 'x-request-id': String(req.headers['x-request-id'] ?? id) };
    const choiceFor = (idx: number, t: PlannedToken | undefined, finish: string | null, stopReason: unknown): Json =>
      chat ? chatChoice(ctx, idx, t ? tokenDelta(ctx, t, parsers) : undefined, finish, stopReason) : completionChoice(ctx, idx, t?.text ?? '', finish, stopReason);

    const finishAll = (): void => {
      const e2e = (performance.now() - startedAt) / 1000;
      counters.observe(firstTokenAt ? (firstTokenAt - startedAt) / 1000 : e2e, e2e);
      for (const p of plans) counters.finished(p.finishReason === 'tool_calls' ? 'stop' : p.finishReason);
    };

    if (!stream) {
      await Promise.all(plans.map((plan, idx) => new Promise<void>((resolve) => {
        generate(prompts[idx].ids.length, plan.tokens, arrivedAt, (i) => {
          if (!firstTokenAt) firstTokenAt = performance.now();
          generated[idx] = i + 1;
          return true;
        }, resolve);
      })));
      finishAll();
      const choices = plans.map((plan, idx) => {
        if (chat) return chatMessageChoice(ctx, idx, plan, parsers);
        const content = plan.tokens.filter((t) => t.parsed !== 'none' || t.text).map((t) => t.text).join('');
        return { index: idx, text: content, logprobs: null, finish_reason: plan.finishReason, stop_reason: plan.stopReason, prompt_logprobs: null };
      });
      res.setHeader('x-deepseek-simulated', '1');
      deps.sendJson(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created: ts, model, choices, usage: usage(), ...(ctx.dialect.flavor === 'vllm' ? { prompt_logprobs: null } : {}) });
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...extraHeaders });
    const sse = new SseWriter(res);
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const write = (obj: Json): void => {
      if (continuousUsage && Array.isArray(obj.choices) && obj.choices.length) obj.usage = usage();
      else if (ctx.dialect.flavor === 'sglang' && obj.usage === undefined) obj.usage = null;
      sse.event(JSON.stringify(obj));
    };
    // Token chunks differ only in their text, so each shape is serialized once with a marker and the text spliced in:
    // byte-identical to JSON.stringify of the whole chunk, at a fraction of the cost per token.
    const templates = new Map<string, string[]>();
    const writeToken = (idx: number, t: PlannedToken): void => {
      if (continuousUsage || t.parsed === 'tool') return write({ id, object, created: ts, model, choices: [choiceFor(idx, t, null, null)] });
      const key = `${idx}\u0000${t.parsed}`;
      let parts = templates.get(key);
      if (!parts) {
        const obj: Json = { id, object, created: ts, model, choices: [choiceFor(idx, { ...t, text: TEXT_MARKER }, null, null)] };
        if (ctx.dialect.flavor === 'sglang') obj.usage = null;
        parts = JSON.stringify(obj).split(JSON.stringify(TEXT_MARKER));
        templates.set(key, parts);
      }
      sse.event(parts.join(JSON.stringify(t.text)));
    };
    const disconnectAt = ctx.sim.disconnectRate > 0 && rnd() < ctx.sim.disconnectRate ? Math.floor(rnd() * Math.max(1, plans[0].tokens.length)) : -1;
    // An engine failure after the 200 went out: both engines send one `data: {"error": {…}}` event, then [DONE].
    const failAt = injectFailure ? Math.floor(rnd() * Math.max(1, plans[0].tokens.length)) : -1;
    let failed = false;
    let remaining = plans.length;
    const cancels: Array<() => void> = [];
    res.on('close', () => cancels.forEach((c) => c()));
    // With --expose-timing, the real write time of every token chunk (CLOCK_MONOTONIC, like perf_counter) is kept per
    // x-request-id, so benchmark clients can be checked against what the server actually did.
    // `channels[i]` says what write i carried: role, reasoning, content, none (<think>/</think>/EOS) — for TTFO checks.
    const wlog = ctx.sim.exposeTiming && typeof req.headers['x-request-id'] === 'string' ? { arrivedMs: arrivedAt + hrOffset, writes: [] as number[], channels: [] as string[] } : undefined;
    if (wlog) {
      if (writeLogs.size >= 100_000) writeLogs.clear();
      writeLogs.set(req.headers['x-request-id'] as string, wlog);
    }
    await new Promise<void>((resolve) => {
      plans.forEach((plan, idx) => {
        let roleSent = false;
        cancels.push(generate(prompts[idx].ids.length, plan.tokens, arrivedAt, (i) => {
          if (closed) return false;
          if (idx === 0 && i === disconnectAt) {
            // A dropped connection mid-answer: what users see when a proxy or the engine dies.
            res.destroy();
            return false;
          }
          if (idx === 0 && i === failAt) {
            failed = true;
            closed = true;
            counters.finished('abort');
            sse.event(JSON.stringify(streamingErrorBody(ctx.dialect, ENGINE_DEAD_MESSAGE)));
            sse.done();
            return false;
          }
          if (!firstTokenAt) firstTokenAt = performance.now();
          generated[idx] = i + 1;
          const t = plan.tokens[i];
          const last = i === plan.tokens.length - 1;
          if (chat && !roleSent) {
            roleSent = true;
            write({ id, object, created: ts, model, choices: [roleChoice(ctx, idx)] });
            wlog?.writes.push(hrNowMs());
            wlog?.channels.push('role');
          }
          // Parsers swallow <think>/</think> and tool-call markup; an EOS token has no text. Neither makes a chunk
          // unless it ends the answer.
          const silent = (chat && tokenDelta(ctx, t, parsers) === undefined) || (t.text === '' && !last);
          if (last) write({ id, object, created: ts, model, choices: [choiceFor(idx, silent || t.text === '' ? undefined : t, plan.finishReason, plan.stopReason)] });
          else if (!silent) writeToken(idx, t);
          if (wlog && (last || !silent)) {
            wlog.writes.push(hrNowMs());
            wlog.channels.push(silent || t.text === '' ? 'none' : t.parsed);
          }
          return true;
        }, () => {
          remaining--;
          if (remaining === 0) resolve();
        }));
      });
      res.on('close', () => resolve());
    });
    if (failed || closed || res.destroyed) return;
    finishAll();
    if (includeUsage) write({ id, object, created: ts, model, choices: [], usage: usage() });
    sse.done();
  };
}
