import * as vscode from 'vscode';
import { DEFAULT_STREAM_LIMITS, streamLimits, type StreamLimits } from '../core/openai/streamLimits';

/**
 * Stream bounds from settings deepseek.stream.* (maxEventBytes, firstTokenTimeoutSeconds, idleTimeoutSeconds), for the
 * chat and the benchmark. Throws a message naming the setting when a value is not a positive number.
 */
export function readStreamLimits(): StreamLimits {
  const c = vscode.workspace.getConfiguration('deepseek.stream');
  const first = c.get<number>('firstTokenTimeoutSeconds', DEFAULT_STREAM_LIMITS.firstTokenTimeoutMs / 1000);
  const idle = c.get<number>('idleTimeoutSeconds', DEFAULT_STREAM_LIMITS.idleTimeoutMs / 1000);
  try {
    return streamLimits({ maxEventBytes: c.get<number>('maxEventBytes', DEFAULT_STREAM_LIMITS.maxEventBytes), firstTokenTimeoutMs: first * 1000, idleTimeoutMs: idle * 1000 });
  } catch (e) {
    throw new Error(`Settings deepseek.stream.*: ${(e as Error).message}`, { cause: e });
  }
}
