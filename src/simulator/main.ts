import { readFileSync } from 'node:fs';
import type { CannedReply } from './requestPlan';
import { ArgparseError, checkFlagsForVersion, parseEngineCommand } from './engineArgs';
import { mergeConfigFile, vllmEnvApiKey } from './engineSecrets';
import { joinHead, parseDistInitAddr, serveWorkerHealth, waitForWorkers, type Rendezvous } from './multiNode';
import { DEFAULT_VERSIONS, dialectFor } from './dialect';
import { EngineClock } from './engineClock';
import { pickCalibration } from './calibration';
import { createSimServer } from './server';
import { simulatedModel, type ServerContext, type SimOptions } from './serverContext';
import { StartupLog } from './startup';
import { findModel, parseGpuSpec } from '../core/plan/catalog';
import { compareVersions } from '../core/util/versions';
import { planMemoryFit } from '../core/plan/memoryFit';

export const SIMULATE_HELP = `usage: deepseek-deploy simulate [sim options] -- ENGINE COMMAND…

Runs a simulated DeepSeek engine that speaks vLLM's or SGLang's OpenAI dialect. No GPU is used. The model argument
picks the family and its behaviour (V3, R1, V3.1, V3.2, V4-Flash, V4-Pro, V4.1-Flash: thinking modes, parsers, tool
calls, KV lines); an unknown model is served as DeepSeek-R1.

Engine commands (as you would run them on a GPU host):
  vllm serve deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8 --port 8000 …
  --model deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8 …        (vLLM image entrypoint form)
  python3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-R1 --tp 8 --port 30000 …

Sim options:
  --speed F              time scale for start-up and decoding (default 1 = as slow as the real set-up)
  --startup-speed F      time scale for start-up only (default: --speed)
  --engine-version V     engine release to imitate (vLLM default ${DEFAULT_VERSIONS.vllm} or the model's first supporting
                         release when newer, e.g. 0.20.0 for V4; SGLang ${DEFAULT_VERSIONS.sglang})
  --gpus SPEC            simulated GPUs, e.g. 8xH100-80GB (default 8xH200-141GB)
  --nodes N              nodes the job spans (selects the multi-node calibration)
  --exact-ttft-ms MS     fixed time to first token (per request, ignores load)
  --exact-itl-ms MS      fixed gap between tokens
  --fail-rate P          share of requests that fail: HTTP 500, or mid-stream {"error": …} then [DONE]
  --disconnect-rate P    share of streams cut mid-answer
  --seed N               deterministic text and timing (default 0)
  --replies FILE         scripted answers: JSON [{"match": "text in the last user message", "reasoning": "…", "answer": "…"}]
  --request-log FILE     append each generation request (path and JSON body, no headers) to FILE as a JSON line
  --parent-pid PID       exit when process PID is gone (the VS Code window that launched it, even if it crashed)
  --expose-timing        add GET /_simulator/timing (token lateness against schedule, CPU); off so routes match the engine
`;

function readReplies(file: string | undefined): CannedReply[] {
  if (!file) throw new Error('--replies needs a JSON file');
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--replies ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(v)) throw new Error(`--replies ${file}: expected a JSON array of {match, reasoning?, answer}`);
  return v.map((r: unknown, i) => {
    const o = r as Partial<CannedReply> | null;
    if (!o || typeof o.match !== 'string' || typeof o.answer !== 'string' || (o.reasoning !== undefined && typeof o.reasoning !== 'string')) {
      throw new Error(`--replies ${file}: item ${i} needs string "match" and "answer" (and optional string "reasoning")`);
    }
    return { match: o.match, answer: o.answer, reasoning: o.reasoning };
  });
}

function parseSimOptions(argv: string[]): SimOptions & { engineVersion?: string; gpus: string; nodes: number; parentPid?: number } {
  const o = { speed: 1, startupSpeed: NaN, failRate: 0, disconnectRate: 0, seed: 0, exposeTiming: false, gpus: '8xH200-141GB', nodes: 1 } as SimOptions & { engineVersion?: string; gpus: string; nodes: number; startupSpeed: number; parentPid?: number };
  const num = (flag: string, v: string | undefined, min: number, max = Infinity): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} needs a number in [${min}, ${max}], got ${v ?? 'nothing'}`);
    return n;
  };
  const m = o as { -readonly [K in keyof typeof o]: (typeof o)[K] };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const v = argv[i + 1];
    switch (f) {
      case '--speed': m.speed = num(f, v, 0.001); i++; break;
      case '--startup-speed': m.startupSpeed = num(f, v, 0.001); i++; break;
      case '--engine-version': if (!v) throw new Error('--engine-version needs a version'); m.engineVersion = v; i++; break;
      case '--gpus': if (!v) throw new Error('--gpus needs a spec like 8xH100-80GB'); m.gpus = v; i++; break;
      case '--nodes': m.nodes = num(f, v, 1); i++; break;
      case '--exact-ttft-ms': m.exactTtftMs = num(f, v, 0); i++; break;
      case '--exact-itl-ms': m.exactItlMs = num(f, v, 0); i++; break;
      case '--fail-rate': m.failRate = num(f, v, 0, 1); i++; break;
      case '--disconnect-rate': m.disconnectRate = num(f, v, 0, 1); i++; break;
      case '--seed': m.seed = num(f, v, 0); i++; break;
      case '--expose-timing': m.exposeTiming = true; break;
      case '--parent-pid': m.parentPid = num(f, v, 1); i++; break;
      case '--replies': m.replies = readReplies(v); i++; break;
      case '--request-log': if (!v) throw new Error('--request-log needs a file path'); m.requestLog = v; i++; break;
      default: throw new Error(`unknown simulator option ${f} (engine flags go after "--")`);
    }
  }
  if (Number.isNaN(m.startupSpeed)) m.startupSpeed = m.speed;
  return m;
}

/**
 * The engine release to imitate: --engine-version when given; otherwise the default release, or the model's first
 * supporting vLLM release when the default is older (a V4 model without --engine-version imitates vLLM 0.20.0).
 */
function imitatedVersion(flavor: 'vllm' | 'sglang', modelArg: string, given: string | undefined): string {
  if (given) return given;
  const min = flavor === 'vllm' ? findModel(modelArg)?.minVersion.vllm : undefined;
  return min && compareVersions(min, DEFAULT_VERSIONS[flavor]) > 0 ? min : DEFAULT_VERSIONS[flavor];
}

/** Entry for `deepseek-deploy simulate`; resolves with the process exit code when the server stops. */
export async function runSimulator(argv: string[], version: string): Promise<number> {
  // A log reader that goes away (`| head`, a dropped `tail -F` over SSH) must not take the engine down with EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  if (argv.includes('--help') && !argv.includes('--')) {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  const sep = argv.indexOf('--');
  if (sep < 0) {
    process.stderr.write(`${SIMULATE_HELP}\nerror: missing "--" before the engine command\n`);
    return 2;
  }
  let opts: ReturnType<typeof parseSimOptions>;
  let gpus: ReturnType<typeof parseGpuSpec>;
  try {
    opts = parseSimOptions(argv.slice(0, sep));
    watchParent(opts.parentPid);
    gpus = parseGpuSpec(opts.gpus);
  } catch (e) {
    process.stderr.write(`deepseek-deploy simulate: error: ${(e as Error).message}\n`);
    return 2;
  }
  let cfg;
  let flagWarnings: string[];
  try {
    const engineWords = argv.slice(sep + 1);
    cfg = parseEngineCommand(mergeConfigFile(engineWords));
    if (cfg.flavor === 'vllm' && !cfg.apiKey) cfg = { ...cfg, apiKey: vllmEnvApiKey(process.env) };
    flagWarnings = checkFlagsForVersion(cfg, dialectFor(cfg.flavor, imitatedVersion(cfg.flavor, cfg.model, opts.engineVersion)).version);
  } catch (e) {
    if (e instanceof ArgparseError) {
      process.stderr.write(e.format());
      return 2;
    }
    throw e;
  }
  const dialect = dialectFor(cfg.flavor, imitatedVersion(cfg.flavor, cfg.model, opts.engineVersion));
  // --gpus describes one node; an engine spanning nodes sees all of them.
  if (cfg.nnodes > 1) gpus = { count: gpus.count * cfg.nnodes, model: gpus.model };
  const say = (msg: string): void => void process.stdout.write(`[${new Date().toISOString().replace('T', ' ').slice(0, 19)}] ${msg}\n`);
  let rendezvous: Rendezvous | undefined;
  if (cfg.nnodes > 1) {
    let addr;
    try {
      addr = parseDistInitAddr(cfg.distInitAddr);
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    if (cfg.nodeRank > 0) {
      // Workers hold their share of the model and serve no HTTP (the head does); they live as long as the head.
      let health: import('node:http').Server | undefined;
      // SGLang's ranks ≥ 1 answer /health on the API port (launch_dummy_health_check_server). Real ranks are separate
      // machines; a SLURM job whose head is on a loopback address runs its ranks on this one machine (the test
      // cluster's node1/node2 with the same command line), where rank 0 needs that port itself: no dummy server then.
      const sharedHost = /^(127\.|::1$|localhost$)/.test(addr.host) && process.env.SLURM_JOB_ID !== undefined;
      await joinHead(addr, cfg.nodeRank, say, () => {
        if (cfg.flavor === 'sglang' && !sharedHost) health = serveWorkerHealth(cfg.host, cfg.port, say);
        else if (cfg.flavor === 'sglang') say(`no health-check server on rank ${cfg.nodeRank}: the ranks share this machine (head at ${addr.host}), rank 0 holds port ${cfg.port}`);
      });
      health?.close();
      say(`node rank ${cfg.nodeRank}: the head went away; exiting`);
      return 0;
    }
    rendezvous = await waitForWorkers(addr, cfg.nnodes, say);
  }
  const model = findModel(cfg.model);
  const fallback = simulatedModel(cfg.model);
  const fit = planMemoryFit({
    model: model ?? fallback,
    gpus,
    flavor: cfg.flavor,
    tp: cfg.tp,
    dp: cfg.flavor === 'sglang' ? Number(cfg.given.dp_size ?? 1) : cfg.dp,
    mxfp4Indexer: cfg.given['attention_config.indexer_kv_dtype'] === 'mxfp4' || cfg.given['attention_config.use_fp4_indexer_cache'] === 'True' || cfg.given.enable_deepseek_v4_fp4_indexer === true,
    pp: cfg.pp,
    expertParallel: cfg.expertParallel,
    dpAttention: cfg.dpAttention,
    gpuMemoryUtilization: cfg.gpuMemoryUtilization,
    kvCacheDtype: cfg.kvCacheDtype,
    maxModelLen: cfg.maxModelLen,
  });
  const log = new StartupLog(cfg, dialect, opts.startupSpeed, (s) => process.stdout.write(s));
  for (const w of flagWarnings) log.line('WARNING', 'arg_utils.py:60', w);
  // A release older than the model's first supporting one does not know its architecture (reference §3.2 minimums).
  if (cfg.flavor === 'vllm' && model && compareVersions(dialect.version, model.minVersion.vllm) < 0) {
    log.vllmUnsupported(model);
    return 1;
  }
  const outcome = cfg.flavor === 'vllm' ? await log.vllm(model, gpus, fit, version) : await log.sglang(model, gpus, fit, version);
  if (outcome === 'failed') return 1;

  const exact = opts.exactTtftMs !== undefined || opts.exactItlMs !== undefined;
  const cal = pickCalibration(cfg, gpus.model.id, gpus.count, opts.nodes, (model ?? fallback).family);
  if (!exact) log.line('INFO', 'simulator', `timing model: ${cal.name} (${cal.source})${cal.estimate ? ' — an estimate fitted to published figures' : ''}`);
  const clock = new EngineClock(exact
    ? { kind: 'exact', ttftMs: opts.exactTtftMs ?? 0, itlMs: opts.exactItlMs ?? 0 }
    : { kind: 'batching', cal, maxNumSeqs: cfg.maxNumSeqs, tokenBudget: cfg.maxNumBatchedTokens, speed: opts.speed });
  const ctx: ServerContext = {
    cfg,
    dialect,
    sim: opts,
    maxModelLen: fit.maxModelLen,
    kvTokenCapacity: fit.kvTokenCapacity,
    model: model ?? fallback,
    log: (line) => log.line('INFO', 'logger.py:71', line),
    clock,
    simulatorVersion: version,
    ready: cfg.flavor === 'vllm',
  };
  const server = createSimServer(ctx);
  server.keepAliveTimeout = 65_000;
  const listening = new Promise<boolean>((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') process.stdout.write(`ERROR:    [Errno 98] error while attempting to bind on address ('${cfg.host}', ${cfg.port}): address already in use\n`);
      else process.stdout.write(`ERROR:    ${e.message}\n`);
      resolve(false);
    });
    server.listen(cfg.port, cfg.host, () => resolve(true));
  });
  if (!(await listening)) return 1;
  const url = `http://${cfg.host}:${cfg.port}`;
  if (cfg.flavor === 'vllm') log.vllmListening(url);
  else {
    log.sglangListening(url);
    await log.sleep(4);
    ctx.ready = true;
    log.sglangReady();
  }
  return new Promise<number>((resolve) => {
    const shutdown = (): void => {
      clock.stop();
      rendezvous?.close();
      process.stdout.write('INFO:     Shutting down\n');
      server.close(() => resolve(0));
      server.closeAllConnections();
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}

/** Stops this simulator (as SIGTERM would) once the launching window's process is gone: nothing outlives it. */
function watchParent(pid: number | undefined): void {
  if (pid === undefined) return;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') return;
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}

if (require.main === module) {
  runSimulator(process.argv.slice(2), DEEPSEEK_DEPLOY_VERSION).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
