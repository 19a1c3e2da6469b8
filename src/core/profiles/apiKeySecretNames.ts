import { parse } from 'yaml';
import { API_KEY_SECRET_NAME } from './profileSchema';

/** A knobs.apiKeySecret name and the profile files that use it. */
export interface SecretNameUse {
  readonly name: string;
  /** The files (as given) whose knobs.apiKeySecret is this name, in the order given. */
  readonly files: readonly string[];
}

/**
 * Why `name` cannot be a knobs.apiKeySecret name (the schema's rule, API_KEY_SECRET_NAME), or undefined when it can.
 * The same text as the schema's error, so the command and a profile say the same thing.
 */
export function apiKeySecretNameProblem(name: string): string | undefined {
  if (name === '') return 'a secret name is required';
  return API_KEY_SECRET_NAME.test(name) ? undefined : 'letters, digits and _ only (the CLI reads it from $DEEPSEEK_DEPLOY_SECRET_<NAME>)';
}

/**
 * The knobs.apiKeySecret names the given profile files use, sorted by name, each with its files. Lenient on purpose: a
 * profile that does not validate otherwise (or is not YAML) still offers its name, or is skipped, never throws; a
 * name that breaks API_KEY_SECRET_NAME is skipped (the launch would refuse the profile anyway).
 */
export function apiKeySecretNamesIn(profiles: ReadonlyArray<{ readonly file: string; readonly text: string }>): SecretNameUse[] {
  const uses = new Map<string, string[]>();
  for (const { file, text } of profiles) {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch {
      continue;
    }
    const knobs = doc && typeof doc === 'object' ? (doc as { knobs?: unknown }).knobs : undefined;
    const name = knobs && typeof knobs === 'object' ? (knobs as { apiKeySecret?: unknown }).apiKeySecret : undefined;
    if (typeof name !== 'string' || apiKeySecretNameProblem(name)) continue;
    uses.set(name, [...(uses.get(name) ?? []), file]);
  }
  return [...uses.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, files]) => ({ name, files }));
}
