import type { EngineConfig } from './engineArgs';
import type { Dialect } from './dialect';
import type { FitResult } from '../core/plan/memoryFit';
import type { GpuSpec, ModelVariant } from '../core/plan/catalog';

/** Writes the engine's real start-up lines with realistic pacing (scaled by startupSpeed). */
export class StartupLog {
  private readonly pid = process.pid;

  constructor(
    private readonly cfg: EngineConfig,
    private readonly d: Dialect,
    private readonly startupSpeed: number,
    private readonly out: (s: string) => void,
  ) {}

  sleep(realSeconds: number): Promise<void> {
    return new Promise((r) => setTimeout(r, (realSeconds * 1000) / this.startupSpeed));
  }

  private stamp(): string {
    const t = new Date();
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
  }

  /** vLLM: "(APIServer pid=N) INFO MM-DD hh:mm:ss [file.py:line] msg"; SGLang: "[YYYY-MM-DD hh:mm:ss TP0] msg". */
  line(level: 'INFO' | 'WARNING' | 'ERROR', where: string, msg: string, proc = 'APIServer'): void {
    if (this.d.flavor === 'sglang') {
      const iso = new Date().toISOString().replace('T', ' ').slice(0, 19);
      this.out(`[${iso}${proc === 'APIServer' ? '' : ` ${proc}`}] ${msg}\n`);
      return;
    }
    const prefix = this.d.processPrefix ? `(${proc} pid=${this.pid}) ` : '';
    this.out(`${prefix}${level} ${this.stamp()} [${where}] ${msg}\n`);
  }

  raw(s: string): void {
    this.out(s);
  }

  async progressBar(label: string, total: number, realSeconds: number, percentStyle: 'shards' | 'tqdm'): Promise<void> {
    const steps = Math.min(total, 20);
    for (let k = 0; k <= steps; k++) {
      const done = Math.round((total * k) / steps);
      const pct = Math.floor((100 * done) / total);
      const elapsed = (realSeconds * k) / steps;
      const left = realSeconds - elapsed;
      const mmss = (s: number): string => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
      const rate = done > 0 ? `${(elapsed / done).toFixed(2)}s/it` : '?it/s';
      const bar = percentStyle === 'shards'
        ? `${label}: ${String(pct).padStart(3)}% Completed | ${done}/${total} [${mmss(elapsed)}<${done > 0 ? mmss(left) : '?'}, ${rate}]`
        : `${label}: ${String(pct).padStart(3)}%|${'█'.repeat(Math.floor(pct / 10)).padEnd(10)}| ${done}/${total} [${mmss(elapsed)}<${mmss(left)}]`;
      this.raw(`${bar}${k === steps ? '\n' : '\r'}`);
      if (k < steps) await this.sleep(realSeconds / steps);
    }
  }

  /** vLLM older than the model's minimum: the registry does not know the architecture and the engine exits. */
  vllmUnsupported(model: ModelVariant): void {
    this.line('INFO', 'api_server.py:1885', `vLLM API server version ${this.d.version}`);
    this.raw(`ValueError: Model architectures ['${model.architecture}'] are not supported for now. ${model.label} needs vLLM >= ${model.minVersion.vllm}.\n`);
  }

  async vllm(model: ModelVariant | undefined, gpus: GpuSpec, fit: FitResult, simulatorVersion: string): Promise<'ok' | 'failed'> {
    const c = this.cfg;
    this.line('INFO', 'api_server.py:1885', `vLLM API server version ${this.d.version}`);
    this.line('INFO', 'utils.py:326', `non-default args: ${pythonDictRepr({ model_tag: c.model, ...c.given })}`);
    this.line('WARNING', 'simulator', `DeepSeek Deploy simulator ${simulatorVersion}: no GPU is used and this is NOT a real vLLM engine (simulated ${gpus.count}x ${gpus.model.id}).`);
    this.line('INFO', 'model.py:547', `Resolved architecture: ${model?.architecture ?? 'DeepseekV3ForCausalLM'}`);
    this.line('INFO', 'model.py:1510', `Using max model len ${fit.maxModelLen}`);
    this.line('INFO', 'scheduler.py:205', `Chunked prefill is enabled with max_num_batched_tokens=${c.maxNumBatchedTokens}.`);
    await this.sleep(3);
    this.line('INFO', 'core.py:77', `Initializing a V1 LLM engine (v${this.d.version}) with config: model='${c.model}', tensor_parallel_size=${c.tp}, pipeline_parallel_size=${c.pp}, data_parallel_size=${c.dp}, max_seq_len=${fit.maxModelLen}, kv_cache_dtype=${c.kvCacheDtype}, enforce_eager=${c.enforceEager ? 'True' : 'False'}`, 'EngineCore_DP0');
    for (let r = 0; r < Math.min(c.tp, 8); r++) this.line('INFO', 'parallel_state.py:1208', `rank ${r} in world size ${c.tp * c.pp * c.dp} is assigned as DP rank 0, PP rank 0, TP rank ${r}, EP rank ${c.expertParallel ? r : 0}`, `Worker_TP${r}`);
    this.line('INFO', 'gpu_model_runner.py:2602', `Starting to load model ${c.model}...`, 'Worker_TP0');
    await this.sleep(2);
    if (fit.reason === 'weights' || fit.reason === 'gpus') {
      const total = gpus.model.memoryMiB / 1024;
      this.line('ERROR', 'core.py:708', 'EngineCore failed to start.', 'EngineCore_DP0');
      this.raw(`torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.75 GiB. GPU 0 has a total capacity of ${total.toFixed(2)} GiB of which 1.12 GiB is free. Including non-PyTorch memory, this process has ${(total - 1.12).toFixed(2)} GiB memory in use. Of the allocated memory ${fit.weightsGiBPerGpu.toFixed(2)} GiB would be needed by the model weights on each GPU.\n`);
      this.raw('RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}\n');
      return 'failed';
    }
    const shards = model?.shards ?? 163;
    const loadSeconds = Math.max(20, shards * 1.1);
    await this.progressBar('Loading safetensors checkpoint shards', shards, loadSeconds, 'shards');
    this.line('INFO', 'default_loader.py:267', `Loading weights took ${loadSeconds.toFixed(2)} seconds`, 'Worker_TP0');
    this.line('INFO', 'gpu_model_runner.py:2653', `Model loading took ${fit.weightsGiBPerGpu.toFixed(4)} GiB and ${(loadSeconds + 9.7).toFixed(6)} seconds`, 'Worker_TP0');
    await this.sleep(8);
    if (fit.attention === 'v4-csa-hca') {
      // V4's KV path (VI-51041): block size 256 is mandatory, KV in fp8_ds_mla, the lightning indexer in FP8 or MXFP4.
      const bs = c.given.block_size;
      if (typeof bs === 'string' && bs !== '256') {
        this.line('ERROR', 'core.py:708', 'EngineCore failed to start.', 'EngineCore_DP0');
        this.raw(`ValueError: No common block size for 256 (DEEPSEEK_SPARSE_SWA) and ${bs}: remove --block-size or set --block-size 256\n`);
        return 'failed';
      }
      this.line('INFO', 'deepseek_v4.py:212', 'Setting kv cache block size to 256 for DEEPSEEK_SPARSE_SWA backend.', 'Worker_TP0');
      this.line('INFO', 'deepseek_v4.py:230', "Using DeepSeek's fp8_ds_mla KV cache format", 'Worker_TP0');
      this.line('INFO', 'deepseek_v4.py:241', `Using ${c.given['attention_config.indexer_kv_dtype'] === 'mxfp4' ? 'MXFP4' : 'FP8'} indexer cache for Lightning Indexer.`, 'Worker_TP0');
    }
    this.line('INFO', 'gpu_worker.py:298', `Available KV cache memory: ${fit.kvGiBPerGpu.toFixed(2)} GiB`, 'EngineCore_DP0');
    this.line('INFO', 'kv_cache_utils.py:1087', `GPU KV cache size: ${fit.kvTokenCapacity.toLocaleString('en-US')} tokens`, 'EngineCore_DP0');
    this.line('INFO', 'kv_cache_utils.py:1091', `Maximum concurrency for ${fit.maxModelLen.toLocaleString('en-US')} tokens per request: ${fit.maxConcurrency.toFixed(2)}x`, 'EngineCore_DP0');
    if (fit.reason === 'kv') {
      const needed = (fit.maxModelLen * fit.kvBytesPerToken + fit.kvFixedBytesPerRequest) / 1024 ** 3;
      this.line('ERROR', 'core.py:708', 'EngineCore failed to start.', 'EngineCore_DP0');
      this.raw(`ValueError: To serve at least one request with the models's max seq len (${fit.maxModelLen}), (${needed.toFixed(2)} GiB KV cache is needed, which is larger than the available KV cache memory (${fit.kvGiBPerGpu.toFixed(2)} GiB). Based on the available memory, the estimated maximum model length is ${fit.largestMaxModelLen}. Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.\n`);
      this.raw('RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}\n');
      return 'failed';
    }
    if (!c.enforceEager) {
      await this.progressBar('Capturing CUDA graphs (mixed prefill-decode, PIECEWISE)', 67, 9, 'tqdm');
      await this.progressBar('Capturing CUDA graphs (decode, FULL)', 35, 5, 'tqdm');
      this.line('INFO', 'gpu_model_runner.py:3480', 'Graph capturing finished in 31 secs, took 0.45 GiB', 'Worker_TP0');
    }
    this.line('INFO', 'core.py:210', 'init engine (profile, create kv cache, warmup model) took 47.64 seconds', 'EngineCore_DP0');
    const sampling = model?.sampling ?? { temperature: 0.6, topP: 0.95 };
    this.line('WARNING', '__init__.py:1625', "Default sampling parameters have been overridden by the model's Hugging Face generation config recommended from the model creator. If this is not intended, please relaunch vLLM instance with `--generation-config vllm`.");
    this.line('INFO', 'serving_chat.py:139', `Using default chat sampling params from model: {'temperature': ${sampling.temperature.toFixed(1)}, 'top_p': ${sampling.topP}}`);
    return 'ok';
  }

  vllmListening(url: string): void {
    this.line('INFO', 'api_server.py:1912', `Starting vLLM API server 0 on ${url}`);
    this.line('INFO', 'launcher.py:26', 'Available routes are:');
    for (const [r, m] of [['/health', 'GET'], ['/tokenize', 'POST'], ['/detokenize', 'POST'], ['/v1/models', 'GET'], ['/version', 'GET'], ['/v1/chat/completions', 'POST'], ['/v1/completions', 'POST'], ['/metrics', 'GET']]) {
      this.line('INFO', 'launcher.py:34', `Route: ${r}, Methods: ${m}`);
    }
    const p = this.d.processPrefix ? `(APIServer pid=${this.pid}) ` : '';
    this.raw(`${p}INFO:     Started server process [${this.pid}]\n${p}INFO:     Waiting for application startup.\n${p}INFO:     Application startup complete.\n`);
  }

  async sglang(model: ModelVariant | undefined, gpus: GpuSpec, fit: FitResult, simulatorVersion: string): Promise<'ok' | 'failed'> {
    const c = this.cfg;
    this.line('INFO', '', `server_args=ServerArgs(model_path='${c.model}', tp_size=${c.tp}, enable_dp_attention=${c.dpAttention ? 'True' : 'False'}, context_length=${c.maxModelLen ?? 'None'}, port=${c.port}, host='${c.host}')`);
    this.line('WARNING', '', `DeepSeek Deploy simulator ${simulatorVersion}: no GPU is used and this is NOT a real SGLang engine (simulated ${gpus.count}x ${gpus.model.id}).`);
    await this.sleep(3);
    for (let r = 0; r < Math.min(c.tp, 8); r++) this.line('INFO', '', 'Init torch distributed ends. mem usage=0.00 GB', `TP${r}`);
    this.line('INFO', '', `Load weight begin. avail mem=${(gpus.model.memoryMiB / 1024 - 1.5).toFixed(2)} GB`, 'TP0');
    if (fit.reason === 'weights' || fit.reason === 'gpus') {
      this.raw('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.75 GiB.\n');
      return 'failed';
    }
    const shards = model?.shards ?? 163;
    const loadSeconds = Math.max(20, shards * 1.1);
    await this.progressBar('Loading safetensors checkpoint shards', shards, loadSeconds, 'shards');
    this.line('INFO', '', `Load weight end. type=${model?.architecture ?? 'DeepseekV3ForCausalLM'}, dtype=torch.bfloat16, avail mem=${(gpus.model.memoryMiB / 1024 - fit.weightsGiBPerGpu).toFixed(2)} GB, mem usage=${fit.weightsGiBPerGpu.toFixed(2)} GB.`, 'TP0');
    if (fit.reason === 'kv') {
      this.raw('RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.\n');
      return 'failed';
    }
    this.line('INFO', '', `KV Cache is allocated. #tokens: ${fit.kvTokenCapacity}, KV size: ${fit.kvGiBPerGpu.toFixed(2)} GB`, 'TP0');
    if (fit.attention === 'v4-csa-hca') {
      // SGLang logs its V4 compressor-state pools (SG-V4); bf16 state halves them.
      const half = process.env.SGLANG_DSV4_COMPRESS_STATE_DTYPE === 'bf16' ? 0.5 : 1;
      const perReq = (fit.kvFixedBytesPerRequest * half) / 1e9;
      this.line('INFO', '', `Compressor state pools: c4_state ${(perReq * 0.13 * c.maxNumSeqs).toFixed(2)} GB, c128_state ${(perReq * 0.87 * c.maxNumSeqs).toFixed(2)} GB (${c.maxNumSeqs} requests)`, 'TP0');
    }
    this.line('INFO', '', `max_total_num_tokens=${fit.kvTokenCapacity}, chunked_prefill_size=${c.maxNumBatchedTokens}, max_prefill_tokens=16384, max_running_requests=${c.maxNumSeqs}, context_len=${fit.maxModelLen}`, 'TP0');
    if (!c.enforceEager) {
      this.line('INFO', '', `Capture cuda graph begin. This can take up to several minutes. avail mem=${(fit.kvGiBPerGpu / 4).toFixed(2)} GB`, 'TP0');
      await this.progressBar(`Capturing batches (bs=160 avail_mem=${(fit.kvGiBPerGpu / 4).toFixed(2)} GB)`, 23, 10, 'tqdm');
      this.line('INFO', '', 'Capture cuda graph end. Time elapsed: 41.34 s. mem usage=1.17 GB. avail mem=4.03 GB.', 'TP0');
    }
    return 'ok';
  }

  sglangListening(url: string): void {
    this.raw(`INFO:     Started server process [${this.pid}]\nINFO:     Waiting for application startup.\nINFO:     Application startup complete.\nINFO:     Uvicorn running on ${url} (Press CTRL+C to quit)\n`);
  }

  sglangReady(): void {
    this.raw('INFO:     127.0.0.1:40000 - "GET /get_model_info HTTP/1.1" 200 OK\n');
    this.line('INFO', '', 'Prefill batch. #new-seq: 1, #new-token: 7, #cached-token: 0, token usage: 0.00, #running-req: 0, #queue-req: 0', 'TP0');
    this.raw('INFO:     127.0.0.1:40002 - "POST /generate HTTP/1.1" 200 OK\n');
    this.line('INFO', '', 'The server is fired up and ready to roll!');
  }
}

/** Python's repr of the parsed-args dict, as vLLM logs it: {'port': 8000, 'trust_remote_code': True, 'model': '…'}. */
function pythonDictRepr(d: Record<string, string | boolean | string[]>): string {
  const v = (x: string | boolean): string => (x === true ? 'True' : x === false ? 'False' : /^-?\d+(\.\d+)?$/.test(x) ? x : `'${x}'`);
  return `{${Object.entries(d).map(([k, x]) => `'${k}': ${Array.isArray(x) ? `[${x.map(v).join(', ')}]` : v(x)}`).join(', ')}}`;
}
