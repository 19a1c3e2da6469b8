import * as http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

/** 32 hex digits like uuid4().hex, from the batched UUID generator (cheaper per request than randomBytes). */
const hexId = (): string => randomUUID().replaceAll('-', '');
import type { EngineConfig } from './engineArgs';
import { errorBody, ERROR_TYPES, streamingErrorBody, type Dialect } from './dialect';
import { EngineClock } from './engineClock';
import { planResponse, requestSeed, type PlannedToken } from './requestPlan';
import { applyChatTemplate, SimTokenizer, type ChatMessageIn } from './tokenizer';
import { mulberry32 } from '../core/util/seededRandom';
import type { CannedReply } from './requestPlan';
import { renderMetrics, ServerCounters } from './metrics';
import { SseWriter } from './sseWriter';
import { Admission } from './admission';

export interface SimOptions {
  readonly speed: number;
  readonly startupSpeed: number;
  readonly exactTtftMs?: number;
  readonly exactItlMs?: number;
  readonly failRate: number;
  readonly disconnectRate: number;
  readonly seed: number;
  /** Adds GET /_simulator/timing; off by default so the routes are exactly the engine's. */
  readonly exposeTiming?: boolean;
  /** Scripted replies (`--replies FILE`), for demos and tests that need exact model output. */
  readonly replies?: readonly CannedReply[];
}

export interface ServerContext {
  readonly cfg: EngineConfig;
  readonly dialect: Dialect;
  readonly sim: SimOptions;
  readonly maxModelLen: number;
  readonly kvTokenCapacity: number;
  readonly reasoningModel: boolean;
  readonly emitsOpeningThink: boolean;
  readonly clock: EngineClock;
  readonly simulatorVersion: string;
  /** SGLang answers /health with 503 until it is "fired up"; vLLM binds only when ready. */
  ready: boolean;
}

type Json = Record<string, unknown>;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** vLLM V1's EngineDeadError text, what clients see when the engine core dies under a request. */
const ENGINE_DEAD_MESSAGE = 'EngineCore encountered an issue. See stack trace (above) for the root cause.';

/** Never produced by the text generator, so it marks where a token's text goes in a chunk template. */
const TEXT_MARKER = '\u0001text\u0001';

const created = (): number => Math.floor(Date.now() / 1000);

const hrNow = (): number => Number(process.hrtime.bigint()) / 1e6;
/** performance.now() + hrOffset = process.hrtime in ms (CLOCK_MONOTONIC, shared by every process on the machine). */
const hrOffset = hrNow() - performance.now();

export function createSimServer(ctx: ServerContext): http.Server {
  const writeLogs = new Map<string, { arrivedMs: number; writes: number[]; channels: string[] }>();
  const tok = new SimTokenizer();
  const counters = new ServerCounters();
  const rnd = mulberry32(ctx.sim.seed ^ 0x5bd1e995);
  let requestCounter = 0;
  const admission = new Admission();

  const sendJson = (res: http.ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, status: number, message: string): void =>
    sendJson(res, status, errorBody(ctx.dialect, status, message, ERROR_TYPES[status] ?? 'BadRequestError'));

  const readBody = (req: http.IncomingMessage): Promise<Json> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          const v: unknown = raw ? JSON.parse(raw) : {};
          if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
          resolve(v as Json);
        } catch (e) {
          reject(new HttpError(400, `Invalid JSON body: ${(e as Error).message}`));
        }
      });
      req.on('error', reject);
    });

  const servedName = ctx.cfg.servedModelNames[0];
  const checkModel = (body: Json): string => {
    const m = body.model;
    if (m === undefined || m === null) return servedName;
    if (typeof m !== 'string' || !ctx.cfg.servedModelNames.includes(m)) throw new HttpError(404, `The model \`${typeof m === 'string' ? m : JSON.stringify(m)}\` does not exist.`);
    return m;
  };

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

  const handleGeneration = async (req: http.IncomingMessage, res: http.ServerResponse, chat: boolean): Promise<void> => {
    const body = await readBody(req);
    const model = checkModel(body);
    const arrivedAt = performance.now();
    // Tokenizing and planning run in time-boxed slices between engine steps, so a burst of arrivals cannot stall
    // the token clock of the streams already running (see Admission).
    const { prompts, plans, stream, injectFailure, includeUsage, continuousUsage, useParser } = await admission.run(() => {
      let prompts: { text: string; ids: number[] }[];
      let canned: CannedReply | undefined;
      if (chat) {
        if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages: field required and must be a non-empty list');
        const text = applyChatTemplate(body.messages as ChatMessageIn[], ctx.reasoningModel && !ctx.emitsOpeningThink);
        prompts = [{ text, ids: tok.encode(text) }];
        if (ctx.sim.replies?.length) {
          const users = (body.messages as ChatMessageIn[]).filter((m) => m.role === 'user');
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
      const useParser = chat && ctx.reasoningModel && !!ctx.cfg.reasoningParser && body.separate_reasoning !== false;
      const plans = prompts.map((p, idx) =>
        planResponse(tok, {
          seed: requestSeed(ctx.sim.seed, body.seed, p.text, requestCounter * 131 + idx, body.temperature),
          maxTokens: maxTokensPerPrompt[idx],
          ignoreEos: body.ignore_eos === true,
          stop: stopList(body),
          chat,
          reasoningModel: chat && ctx.reasoningModel,
          emitsOpeningThink: ctx.emitsOpeningThink,
          canned,
        }),
      );
      return { prompts, plans, stream, injectFailure, includeUsage, continuousUsage, useParser };
    });
    if (injectFailure && !stream) {
      counters.finished('abort');
      throw new HttpError(500, ENGINE_DEAD_MESSAGE);
    }
    const id = chat ? (ctx.dialect.flavor === 'vllm' ? `chatcmpl-${hexId()}` : hexId()) : `cmpl-${hexId()}`;
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

    const deltaFor = (t: PlannedToken, first: boolean): Json => {
      if (!chat) return {};
      if (useParser && t.parsed === 'reasoning') {
        const d: Json = {};
        for (const f of ctx.dialect.reasoningFields) d[f] = t.text;
        return d;
      }
      return { content: t.text };
      void first;
    };
    const choiceFor = (idx: number, t: PlannedToken | undefined, finish: string | null, stopReason: unknown): Json => {
      if (chat) {
        const delta = t ? deltaFor(t, false) : { content: '' };
        return ctx.dialect.flavor === 'vllm'
          ? { index: idx, delta, logprobs: null, finish_reason: finish, ...(finish ? { stop_reason: stopReason } : {}) }
          : { index: idx, delta: { role: null, content: null, reasoning_content: null, tool_calls: null, ...delta }, logprobs: null, finish_reason: finish, matched_stop: finish === 'stop' ? (stopReason ?? 1) : null };
      }
      return { index: idx, text: t?.text ?? '', logprobs: null, finish_reason: finish, stop_reason: finish ? stopReason : null, ...(ctx.dialect.flavor === 'sglang' ? { matched_stop: null } : {}) };
    };

    const finishAll = (): void => {
      const e2e = (performance.now() - startedAt) / 1000;
      counters.observe(firstTokenAt ? (firstTokenAt - startedAt) / 1000 : e2e, e2e);
      for (const p of plans) counters.finished(p.finishReason);
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
        const reasoning = useParser ? plan.tokens.filter((t) => t.parsed === 'reasoning').map((t) => t.text).join('') : null;
        const content = plan.tokens.filter((t) => (useParser ? t.parsed === 'content' : chat ? true : t.parsed !== 'none' || t.text)).map((t) => t.text).join('');
        if (!chat) return { index: idx, text: content, logprobs: null, finish_reason: plan.finishReason, stop_reason: plan.stopReason, prompt_logprobs: null };
        const message: Json = { role: 'assistant', content };
        if (ctx.dialect.flavor === 'vllm') {
          for (const f of ctx.dialect.reasoningFields) message[f] = reasoning;
          message.tool_calls = [];
          return { index: idx, message, logprobs: null, finish_reason: plan.finishReason, stop_reason: plan.stopReason };
        }
        return { index: idx, message: { ...message, reasoning_content: reasoning, tool_calls: null }, logprobs: null, finish_reason: plan.finishReason, matched_stop: plan.finishReason === 'stop' ? (plan.stopReason ?? 1) : null };
      });
      res.setHeader('x-deepseek-simulated', '1');
      sendJson(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created: ts, model, choices, usage: usage(), ...(ctx.dialect.flavor === 'vllm' ? { prompt_logprobs: null } : {}) });
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
      if (continuousUsage) return write({ id, object, created: ts, model, choices: [choiceFor(idx, t, null, null)] });
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
            const roleDelta = ctx.dialect.flavor === 'vllm' ? { role: 'assistant', content: '' } : { role: 'assistant', content: '', reasoning_content: null, tool_calls: null };
            write({ id, object, created: ts, model, choices: [ctx.dialect.flavor === 'vllm' ? { index: idx, delta: roleDelta, logprobs: null, finish_reason: null } : { index: idx, delta: roleDelta, logprobs: null, finish_reason: null, matched_stop: null }] });
            wlog?.writes.push(hrNow());
            wlog?.channels.push('role');
          }
          // A parser swallows <think>/</think>; an EOS token has no text. Neither makes a chunk unless it ends the answer.
          const silent = (useParser && t.parsed === 'none') || (t.text === '' && !last);
          if (last) write({ id, object, created: ts, model, choices: [choiceFor(idx, silent || t.text === '' ? undefined : t, plan.finishReason, plan.stopReason)] });
          else if (!silent) writeToken(idx, t);
          if (wlog && (last || !silent)) {
            wlog.writes.push(hrNow());
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

  const models = (): Json => ({
    object: 'list',
    data: ctx.cfg.servedModelNames.map((name) =>
      ctx.dialect.flavor === 'vllm'
        ? { id: name, object: 'model', created: created(), owned_by: 'vllm', root: ctx.cfg.model, parent: null, max_model_len: ctx.maxModelLen, permission: [{ id: `modelperm-${randomBytes(8).toString('hex')}`, object: 'model_permission', created: created(), allow_create_engine: false, allow_sampling: true, allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*', group: null, is_blocking: false }] }
        : { id: name, object: 'model', created: created(), owned_by: 'sglang', root: ctx.cfg.model, max_model_len: ctx.maxModelLen },
    ),
  });

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    if (ctx.cfg.apiKey && path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${ctx.cfg.apiKey}`) {
      sendJson(res, 401, { error: 'Unauthorized' });
      return;
    }
    if (path === '/health' && req.method === 'GET') {
      res.writeHead(ctx.ready ? 200 : 503, { 'content-length': 0 });
      res.end();
      return;
    }
    if (!ctx.ready) {
      sendError(res, 503, 'Server is starting');
      return;
    }
    if (path === '/v1/models' && req.method === 'GET') {
      res.setHeader('x-deepseek-simulated', '1'); // lets "Add Endpoint…" label a simulator as one
      return sendJson(res, 200, models());
    }
    if (path === '/version' && req.method === 'GET') return sendJson(res, 200, { version: ctx.dialect.version, simulator: `deepseek-deploy ${ctx.simulatorVersion}` });
    if (path === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(renderMetrics(ctx, counters));
      return;
    }
    if ((path === '/server_info' || path === '/get_server_info') && req.method === 'GET' && ctx.dialect.flavor === 'sglang') {
      return sendJson(res, 200, { ...ctx.cfg.given, model_path: ctx.cfg.model, tp_size: ctx.cfg.tp, context_length: ctx.maxModelLen, max_total_num_tokens: ctx.kvTokenCapacity, version: ctx.dialect.version, internal_states: [{ avg_spec_accept_length: null, last_gen_throughput: 0 }] });
    }
    if (path === '/_simulator/timing' && req.method === 'GET' && ctx.sim.exposeTiming) {
      const l = ctx.clock.lateness;
      const cpu = process.cpuUsage();
      const body = { tokens: l.count, latenessMs: { p50: l.quantile(0.5), p99: l.quantile(0.99), max: l.max }, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, uptimeMs: performance.now(), steps: ctx.clock.stats.steps };
      if (url.searchParams.get('reset') === '1') l.reset();
      if (url.searchParams.get('requests') === '1') {
        (body as Json).requests = Object.fromEntries(writeLogs);
        writeLogs.clear();
      }
      return sendJson(res, 200, body);
    }
    if (path === '/tokenize' && req.method === 'POST') {
      const body = await readBody(req);
      checkModel(body);
      let text: string;
      if (Array.isArray(body.messages)) text = applyChatTemplate(body.messages as ChatMessageIn[], body.add_generation_prompt !== false && ctx.reasoningModel && !ctx.emitsOpeningThink);
      else if (typeof body.prompt === 'string') text = (body.add_special_tokens === false ? '' : '<｜begin▁of▁sentence｜>') + body.prompt;
      else throw new HttpError(400, 'prompt or messages is required');
      const tokens = tok.encode(text);
      return sendJson(res, 200, { count: tokens.length, max_model_len: ctx.maxModelLen, tokens, token_strs: null });
    }
    if (path === '/detokenize' && req.method === 'POST') {
      const body = await readBody(req);
      checkModel(body);
      if (!Array.isArray(body.tokens)) throw new HttpError(400, 'tokens: field required');
      return sendJson(res, 200, { prompt: tok.decode(body.tokens as number[]) });
    }
    if (path === '/v1/chat/completions' && req.method === 'POST') return handleGeneration(req, res, true);
    if (path === '/v1/completions' && req.method === 'POST') return handleGeneration(req, res, false);
    sendJson(res, 404, { detail: 'Not Found' });
  };

  return http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) sendError(res, e.status, e.message);
      else sendError(res, 500, (e as Error).message);
    });
  });
}
