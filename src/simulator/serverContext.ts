import type { EngineConfig } from './engineArgs';
import type { Dialect } from './dialect';
import type { EngineClock } from './engineClock';
import type { CannedReply } from './requestPlan';
import { findModel, type ModelVariant } from '../core/plan/catalog';

/** Simulator options (`deepseek-deploy simulate` flags before "--"). */
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
  /**
   * `--request-log FILE`: every generation request's path and JSON body appended as one line (JSONL, mode 0600), so a
   * test can check what a client sent (thinking fields, the history and reasoning passed back). Headers, and so API
   * keys, are never written.
   */
  readonly requestLog?: string;
}

/** Everything a request handler needs: the parsed engine command, its dialect, the served model's facts, the clock. */
export interface ServerContext {
  readonly cfg: EngineConfig;
  readonly dialect: Dialect;
  readonly sim: SimOptions;
  readonly maxModelLen: number;
  readonly kvTokenCapacity: number;
  /** The served checkpoint's catalog facts (reasoning kind, thinking defaults, tool format…). */
  readonly model: ModelVariant;
  readonly clock: EngineClock;
  readonly simulatorVersion: string;
  /** SGLang answers /health with 503 until it is "fired up"; vLLM binds only when ready. */
  ready: boolean;
  /** Writes an engine log line (request logs); stdout in the simulator process, nothing in in-process tests. */
  readonly log?: (line: string) => void;
}

export type Json = Record<string, unknown>;

/** An error the engine answers with an HTTP status and its own error body. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The catalog entry the simulator serves for an engine's model argument; an unknown checkpoint is served as
 * DeepSeek-R1 (the simulator's original model) under its own name.
 */
export function simulatedModel(modelArg: string): ModelVariant {
  return findModel(modelArg) ?? findModel('deepseek-ai/DeepSeek-R1')!;
}
