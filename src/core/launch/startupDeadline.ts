/**
 * The start-up deadline of a launch (ms), the ONE call site the pipeline uses.
 * TODO(catalog merge): return startupDeadlineMs(modelId) from src/core/plan/catalog.ts (weight size and the engine's
 * known warm-ups; V4.1 longer). Until then: 60 minutes for every model, never a fixed 45.
 */
export function startupDeadlineFor(modelId: string): number {
  void modelId;
  return 60 * 60_000;
}
