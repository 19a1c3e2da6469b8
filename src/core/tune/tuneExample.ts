/**
 * `deepseek-deploy tune --example`: a small spec that runs against the built-in simulator on this machine (process
 * runtime, no GPU) in a few minutes. Only knobs the simulator's engine model reacts to are searched: max-num-seqs
 * (how many sequences a step serves; more queue) and the layout (TP 4 on 4 of the simulated 8×H200 cannot hold
 * DeepSeek-R1's weights, so the planner rejects it before anything starts).
 */
export const TUNE_EXAMPLE = `# deepseek-deploy tune --example > sim.tune.yaml && deepseek-deploy tune sim.tune.yaml
# A small tuning run against the built-in simulator (no GPU): which max-num-seqs serves the most output tokens per
# GPU while p99 TTFT stays under 400 ms and mean TPOT under 22.5 ms? tp 4 cannot hold DeepSeek-R1 on 4 of the
# simulated 8x H200, so the planner rejects it without launching it.
name: sim-example
base:
  inline:
    name: sim-r1
    host: local
    engine: {kind: simulator, imitates: vllm}
    model: {id: deepseek-ai/DeepSeek-R1}
    parallel: {tp: 8}
    knobs: {port: 18080}
    runtime: {kind: process}
gpus: 8xH200-141GB
simulator: {speed: 1, startupSpeed: 1000}
search:
  parallel: [{tp: 8}, {tp: 4}]
  maxNumSeqs: [4, 64]
workload: {inputLen: 32, outputLen: 32, numPrompts: 16, promptsPerUnitLoad: 3, warmups: 1}
load: {kind: concurrency, start: 1, max: 64, maxPoints: 10}
slo:
  - {metric: ttft, stat: p99, maxMs: 400}
  - {metric: tpot, stat: mean, maxMs: 22.5}
confidence: {level: 0.95, relativeWidth: 0.05, maxRepeats: 1}
objective: outputTokPerSecPerGpu
pricePerGpuHour: 3.5
budget: {maxWallTimeS: 600, maxLaunches: 4}
`;
