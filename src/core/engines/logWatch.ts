/**
 * Classifies engine log lines (vLLM, SGLang, and our simulator, which prints theirs) into the events a user cares
 * about while a 671B model loads: progress, readiness, and known fatal errors with a remedy.
 */
export type LogEvent =
  | { kind: 'progress'; phase: 'weights' | 'cuda-graphs'; percent: number; done: number; total: number; eta?: string }
  | { kind: 'listening'; url?: string }
  | { kind: 'ready'; url?: string }
  | { kind: 'fatal'; message: string; remedy: string; suggestedMaxModelLen?: number };

const SHARDS = /Loading safetensors checkpoint shards:\s+(\d+)% Completed \|\s*(\d+)\/(\d+) \[[\d:]+<([\d:?]+)/;
const GRAPHS = /Captur(?:ing CUDA graphs|ing batches)[^:]*:\s+(\d+)%\|[^|]*\|\s*(\d+)\/(\d+)(?: \[[\d:]+<([\d:?]+))?/;
const VLLM_SERVER = /Starting vLLM (?:API )?server(?: \d+)? on (\S+)/;
const SGLANG_UVICORN = /Uvicorn running on (\S+)/;

interface FatalPattern { re: RegExp; message: (m: RegExpMatchArray) => string; remedy: string; maxLen?: (m: RegExpMatchArray) => number }

const FATAL: FatalPattern[] = [
  {
    re: /estimated maximum model length is (\d+)/,
    message: () => 'The KV cache cannot hold one request of the configured max model length.',
    remedy: 'Lower --max-model-len (suggested below), raise --gpu-memory-utilization, or add GPUs.',
    maxLen: (m) => Number(m[1]),
  },
  { re: /(?:torch\.(?:cuda\.)?OutOfMemoryError|CUDA out of memory|CUDA error: out of memory)/, message: () => 'CUDA out of memory.', remedy: 'Use a smaller quantisation, more GPUs (TP/EP), a lower --gpu-memory-utilization headroom or a shorter --max-model-len.' },
  { re: /No available memory for the cache blocks/, message: () => 'No GPU memory left for the KV cache after loading weights.', remedy: 'Raise --gpu-memory-utilization or shard over more GPUs.' },
  { re: /Not enough memory\. Please try to increase --mem-fraction-static/, message: () => 'SGLang: not enough memory for the KV cache pool.', remedy: 'Increase --mem-fraction-static or shard over more GPUs.' },
  { re: /\[Errno 98\].*address|address already in use/i, message: () => 'The port is already in use on the host.', remedy: 'Pick another --port or stop the server that holds it.' },
  { re: /NCCL error|ncclUnhandledCudaError|ncclSystemError|ncclInternalError|Watchdog caught collective operation timeout/, message: (m) => `NCCL failure: ${m[0]}`, remedy: 'Check NCCL_SOCKET_IFNAME / InfiniBand settings, that every node sees every GPU, and the network between nodes.' },
  // nohup(1) / bash say so when the engine binary is not on the host's PATH (process runtime).
  { re: /nohup: failed to run command '([^']+)': No such file or directory|^(?:\S+: )*(\S+): command not found$/, message: (m) => `The engine command \`${m[1] ?? m[2]}\` is not installed on the host (not on PATH for non-interactive logins).`, remedy: 'Install the engine in the environment your login shell sets up, or use the docker runtime.' },
  { re: /error: unrecognized arguments: (.*)/, message: (m) => `The engine rejected its arguments: ${m[1]}`, remedy: 'Remove or fix the flag; the engine version may not support it.' },
];

/**
 * One log line → the event it means, or undefined. `flavor` matters for readiness: SGLang's uvicorn prints
 * "Application startup complete." before its warm-up request, while /health and /v1/models still answer 503 until
 * "The server is fired up and ready to roll!" (sglang/srt/entrypoints/http_server.py, _wait_and_warmup), so for
 * SGLang that line only means "listening"; for vLLM it is the last start-up line (uvicorn binds only when ready).
 */
export function classifyLogLine(line: string, flavor?: 'vllm' | 'sglang'): LogEvent | undefined {
  let m = SHARDS.exec(line);
  if (m) return { kind: 'progress', phase: 'weights', percent: Number(m[1]), done: Number(m[2]), total: Number(m[3]), eta: m[4] };
  m = GRAPHS.exec(line);
  if (m) return { kind: 'progress', phase: 'cuda-graphs', percent: Number(m[1]), done: Number(m[2]), total: Number(m[3]), eta: m[4] };
  m = VLLM_SERVER.exec(line) ?? SGLANG_UVICORN.exec(line);
  // Bound but not yet ready: SGLang answers /health with 503 until "fired up"; vLLM finishes with uvicorn's startup line.
  if (m) return { kind: 'listening', url: m[1] };
  if (line.includes('Application startup complete.')) return flavor === 'sglang' ? { kind: 'listening' } : { kind: 'ready' };
  if (line.includes('The server is fired up and ready to roll!')) return { kind: 'ready' };
  for (const f of FATAL) {
    const fm = line.match(f.re);
    if (fm) return { kind: 'fatal', message: f.message(fm), remedy: f.remedy, suggestedMaxModelLen: f.maxLen?.(fm) };
  }
  return undefined;
}

/** Splits a byte stream into lines on \n and on tqdm's bare \r, keeping an incomplete tail for the next chunk. */
/** Longest unfinished log line kept (64 KiB): a line that never ends keeps its last 64 KiB, so memory and re-scan stay bounded. */
export const MAX_LOG_TAIL = 64 * 1024;

export class LineSplitter {
  private tail = '';

  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split(/\r\n|\r|\n/);
    this.tail = parts.pop() ?? '';
    if (this.tail.length > MAX_LOG_TAIL) this.tail = this.tail.slice(-MAX_LOG_TAIL);
    return parts.filter((p) => p.length > 0);
  }

  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t ? [t] : [];
  }
}
