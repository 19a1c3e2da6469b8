/**
 * A small runnable spec against the simulator on this machine (what `deepseek-deploy tune --example` prints): two
 * max-num-seqs values × two token budgets, a short random workload and a p99 TTFT / TPOT SLO.
 */
export function exampleTuneSpecYaml(): string {
  return `# A tuning spec (DeepSeek: Tune Deployment): which serve settings meet the SLOs with the most goodput per GPU.
# This one searches the built-in simulator on this machine (no GPU); point base.profile at your own
# *.deepseek.yaml to tune a real deployment.
name: example-sim
base:
  inline:
    name: example-sim
    host: local
    engine: {kind: simulator, imitates: vllm}
    model: {id: deepseek-ai/DeepSeek-R1}
    parallel: {tp: 8}
    runtime: {kind: process}
gpus: 8xH200-141GB
simulator: {speed: 1, startupSpeed: 1000}
search:
  maxNumSeqs: [16, 64]
  maxNumBatchedTokens: [2048, 8192]
workload: {inputLen: 512, outputLen: 64, promptsPerUnitLoad: 4, warmups: 1}
load: {kind: concurrency, start: 2, max: 64, maxPoints: 4}
slo:
  - {metric: ttft, stat: p99, maxMs: 2000}
  - {metric: tpot, stat: p99, maxMs: 60}
objective: goodputPerGpu
pricePerGpuHour: 2.5
budget: {maxWallTimeS: 600}
`;
}
