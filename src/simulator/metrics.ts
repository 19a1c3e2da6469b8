import type { ServerContext } from './serverContext';

const BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];

class Histogram {
  readonly counts = BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(v: number): void {
    this.sum += v;
    this.count++;
    BUCKETS.forEach((b, i) => {
      if (v <= b) this.counts[i]++;
    });
  }

  render(name: string, labels: string): string {
    const lines = BUCKETS.map((b, i) => `${name}_bucket{${labels},le="${b}"} ${this.counts[i]}`);
    lines.push(`${name}_bucket{${labels},le="+Inf"} ${this.count}`, `${name}_sum{${labels}} ${this.sum}`, `${name}_count{${labels}} ${this.count}`);
    return lines.join('\n');
  }
}

export class ServerCounters {
  promptTokens = 0;
  generationTokens = 0;
  readonly success = new Map<string, number>();
  readonly ttft = new Histogram();
  readonly e2e = new Histogram();

  finished(reason: string): void {
    this.success.set(reason, (this.success.get(reason) ?? 0) + 1);
  }

  observe(ttftS: number, e2eS: number): void {
    this.ttft.observe(ttftS);
    this.e2e.observe(e2eS);
  }
}

/** Prometheus text with the engines' own metric names, moving with the simulated load. */
export function renderMetrics(ctx: ServerContext, c: ServerCounters): string {
  const s = ctx.clock.stats;
  const model = ctx.cfg.servedModelNames[0];
  const kvUsage = ctx.kvTokenCapacity > 0 ? Math.min(1, s.kvTokensUsed / ctx.kvTokenCapacity) : 0;
  if (ctx.dialect.flavor === 'vllm') {
    const l = `engine="0",model_name="${model}"`;
    return [
      '# HELP vllm:num_requests_running Number of requests in model execution batches.', '# TYPE vllm:num_requests_running gauge', `vllm:num_requests_running{${l}} ${s.running}.0`,
      '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.', '# TYPE vllm:num_requests_waiting gauge', `vllm:num_requests_waiting{${l}} ${s.waiting}.0`,
      '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.', '# TYPE vllm:kv_cache_usage_perc gauge', `vllm:kv_cache_usage_perc{${l}} ${kvUsage}`,
      '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.', '# TYPE vllm:prompt_tokens_total counter', `vllm:prompt_tokens_total{${l}} ${c.promptTokens}.0`,
      '# HELP vllm:generation_tokens_total Number of generation tokens processed.', '# TYPE vllm:generation_tokens_total counter', `vllm:generation_tokens_total{${l}} ${c.generationTokens}.0`,
      '# HELP vllm:request_success_total Count of successfully processed requests.', '# TYPE vllm:request_success_total counter',
      ...['stop', 'length', 'abort'].map((r) => `vllm:request_success_total{${l},finished_reason="${r}"} ${c.success.get(r) ?? 0}.0`),
      '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.', '# TYPE vllm:time_to_first_token_seconds histogram', c.ttft.render('vllm:time_to_first_token_seconds', l),
      '# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.', '# TYPE vllm:e2e_request_latency_seconds histogram', c.e2e.render('vllm:e2e_request_latency_seconds', l),
      '',
    ].join('\n');
  }
  if (!ctx.cfg.enableMetrics) return '';
  const l = `model_name="${model}"`;
  return [
    '# HELP sglang:num_running_reqs The number of running requests.', '# TYPE sglang:num_running_reqs gauge', `sglang:num_running_reqs{${l}} ${s.running}.0`,
    '# HELP sglang:num_queue_reqs The number of requests in the waiting queue.', '# TYPE sglang:num_queue_reqs gauge', `sglang:num_queue_reqs{${l}} ${s.waiting}.0`,
    '# HELP sglang:token_usage The token usage.', '# TYPE sglang:token_usage gauge', `sglang:token_usage{${l}} ${kvUsage}`,
    '# HELP sglang:num_used_tokens The number of used tokens.', '# TYPE sglang:num_used_tokens gauge', `sglang:num_used_tokens{${l}} ${s.kvTokensUsed}.0`,
    '# HELP sglang:prompt_tokens_total Number of prefill tokens processed.', '# TYPE sglang:prompt_tokens_total counter', `sglang:prompt_tokens_total{${l}} ${c.promptTokens}.0`,
    '# HELP sglang:generation_tokens_total Number of generation tokens processed.', '# TYPE sglang:generation_tokens_total counter', `sglang:generation_tokens_total{${l}} ${c.generationTokens}.0`,
    '# HELP sglang:time_to_first_token_seconds Histogram of time to first token in seconds.', '# TYPE sglang:time_to_first_token_seconds histogram', c.ttft.render('sglang:time_to_first_token_seconds', l),
    '# HELP sglang:e2e_request_latency_seconds Histogram of End-to-end request latency in seconds', '# TYPE sglang:e2e_request_latency_seconds histogram', c.e2e.render('sglang:e2e_request_latency_seconds', l),
    '',
  ].join('\n');
}
