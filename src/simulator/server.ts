import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { errorBody, ERROR_TYPES } from './dialect';
import { SimTokenizer } from './tokenizer';
import { mulberry32 } from '../core/util/seededRandom';
import { renderMetrics, ServerCounters } from './metrics';
import { Admission } from './admission';
import { HttpError, type Json, type ServerContext } from './serverContext';
import { createGenerationHandler } from './generation';
import { renderPrompt, requestTools, resolveThinking } from './familyBehaviour';

const created = (): number => Math.floor(Date.now() / 1000);

/**
 * The simulated engine's HTTP routes, as vLLM and SGLang expose them: /health, /v1/models, /version, /metrics,
 * /tokenize, /detokenize, the generation endpoints (generation.ts) and SGLang's /server_info.
 */
export function createSimServer(ctx: ServerContext): http.Server {
  const writeLogs = new Map<string, { arrivedMs: number; writes: number[]; channels: string[] }>();
  const tok = new SimTokenizer();
  const counters = new ServerCounters();
  const rnd = mulberry32(ctx.sim.seed ^ 0x5bd1e995);
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

  const handleGeneration = createGenerationHandler(ctx, { tok, counters, rnd, admission, writeLogs, readBody, checkModel, sendJson });

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
      if (Array.isArray(body.messages)) text = renderPrompt(ctx.model, body, resolveThinking(ctx.model, ctx.dialect.flavor, body), requestTools(body), body.add_generation_prompt !== false);
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
