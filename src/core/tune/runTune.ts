import type { PipelineDeps } from '../launch/launchPipeline';
import type { Profile } from '../profiles/profileSchema';
import type { TuneSpec } from './tuneSpec';
import type { TuneProgress, TuneResult } from './tuneResult';

/** What runTune needs from its caller (the CLI or the extension). */
export interface TuneDeps {
  /** The one launch pipeline's dependencies (records, SSH, the local simulator command). */
  readonly pipeline: PipelineDeps;
  /** The base profile, already loaded (file, preset or inline) by the caller. */
  readonly baseProfile: Profile;
  /** The base profile's file, when it came from one ("Apply to profile" writes there). */
  readonly baseProfileFile?: string;
  /** The spec file (absolute): recorded in the result; dataset paths are relative to its folder. */
  readonly specFile: string;
  /** Folder that holds `.deepseek/tuning/<runId>/` (the workspace folder, or the CLI's working directory). */
  readonly rootDir: string;
  /** Secrets for the engine (never written to results: redacted by saveResultFile). */
  readonly hfToken?: string;
  readonly apiKey?: string;
}

export interface TuneOptions {
  /** Cancel: stops sending, stops the server this run started, saves what finished (state "cancelled"). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TuneProgress) => void;
  /** Continue the run saved under `.deepseek/tuning/<runId>/` (default: the latest run of this spec name). */
  readonly resume?: boolean | { readonly runId: string };
}

/**
 * Tunes a deployment: plans every configuration of the search space (misfits are never launched), launches each
 * remaining one through the launch pipeline, searches the highest load meeting the SLOs (double, then bisect), and
 * returns (and saves, after every run) the TuneResult. Throws only for a bad spec/base profile or an unwritable run
 * folder; launch failures are recorded on their candidate.
 */
export function runTune(spec: TuneSpec, deps: TuneDeps, opts: TuneOptions = {}): Promise<TuneResult> {
  void spec;
  void deps;
  void opts;
  return Promise.reject(new Error('runTune: not implemented yet'));
}
