import type { Flavor } from './engineArgs';
import { compareVersions } from '../core/util/versions';

/** What differs between engines and their releases in what clients see on the wire. */
export interface Dialect {
  readonly flavor: Flavor;
  readonly version: string;
  /** Fields that carry reasoning deltas: vLLM renamed reasoning_content → reasoning (PR #27752, both for a while; the old one removed by PR #33402). */
  readonly reasoningFields: readonly ('reasoning' | 'reasoning_content')[];
  /** vLLM ≥ 0.10.1 wraps errors as {"error":{…}}; older vLLM and SGLang send the flat ErrorResponse. */
  readonly nestedErrors: boolean;
  /** Recent vLLM prefixes log lines with "(APIServer pid=N)". */
  readonly processPrefix: boolean;
}

export const DEFAULT_VERSIONS: Record<Flavor, string> = { vllm: '0.17.1', sglang: '0.5.5' };

export function dialectFor(flavor: Flavor, version = DEFAULT_VERSIONS[flavor]): Dialect {
  if (flavor === 'sglang') return { flavor, version, reasoningFields: ['reasoning_content'], nestedErrors: false, processPrefix: false };
  const ge = (v: string): boolean => compareVersions(version, v) >= 0;
  return {
    flavor,
    version,
    reasoningFields: ge('0.16.0') ? ['reasoning'] : ge('0.11.1') ? ['reasoning', 'reasoning_content'] : ['reasoning_content'],
    nestedErrors: ge('0.10.1'),
    processPrefix: ge('0.10.2'),
  };
}

export function errorBody(d: Dialect, status: number, message: string, type: string): Record<string, unknown> {
  const inner = { message, type, param: null, code: status };
  return d.nestedErrors ? { error: inner } : { object: 'error', ...inner };
}

/** Streaming errors are always wrapped in {"error": …}: vLLM dumps its (nested) ErrorResponse, old vLLM and SGLang wrap the flat one. */
export function streamingErrorBody(d: Dialect, message: string): Record<string, unknown> {
  const body = errorBody(d, 500, message, 'InternalServerError');
  return d.nestedErrors ? body : { error: body };
}

export const ERROR_TYPES: Record<number, string> = { 400: 'BadRequestError', 404: 'NotFoundError', 500: 'InternalServerError' };
