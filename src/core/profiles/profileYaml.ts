import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ProfileSchema, type Profile } from './profileSchema';

export interface ProfileIssue {
  /** Dotted path of the field, e.g. "runtime.shmSize" or "knobs.extraArgs[2]". */
  readonly field: string;
  readonly message: string;
  /** 1-based line and column in the YAML file, when the field (or its parent) is present there. */
  readonly line?: number;
  readonly col?: number;
}

export class ProfileError extends Error {
  constructor(readonly file: string, readonly issues: readonly ProfileIssue[]) {
    super(issues.map((i) => `${file}${i.line ? `:${i.line}:${i.col ?? 1}` : ''}: ${i.field ? `${i.field}: ` : ''}${i.message}`).join('\n'));
    this.name = 'ProfileError';
  }
}

const fieldName = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');

/** Parses and validates a profile; every problem names its field and line. Never throws anything but ProfileError. */
export function parseProfileYaml(text: string, file = 'profile.deepseek.yaml'): Profile {
  return parseYamlWithSchema(ProfileSchema, text, file);
}

/**
 * Parses YAML and validates it with a zod schema (profiles, tuning specs); every problem names its field and line.
 * Throws only ProfileError, or what `makeError` builds from the same issues.
 */
export function parseYamlWithSchema<S extends z.ZodType>(schema: S, text: string, file: string, makeError: (file: string, issues: ProfileIssue[]) => Error = (f, i) => new ProfileError(f, i)): z.output<S> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): { line?: number; col?: number } => {
    if (offset === undefined) return {};
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (doc.errors.length) {
    throw makeError(file, doc.errors.map((e) => ({ field: '', message: `YAML: ${e.message.split('\n')[0]}`, ...at(e.pos[0]) })));
  }
  const data: unknown = doc.toJS();
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  throw makeError(file, r.error.issues.map((issue) => {
    // Point at the deepest part of the path that exists in the file (a missing field points at its parent).
    let path = [...issue.path];
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    if (unknownKey !== undefined) path = [...path, unknownKey];
    let node: unknown;
    for (let n = path.length; n >= 0; n--) {
      node = doc.getIn(path.slice(0, n) as Array<string | number>, true);
      if (isNode(node)) break;
      node = undefined;
    }
    const pos = isNode(node) && node.range ? at(node.range[0]) : {};
    const message = unknownKey !== undefined ? `unknown field "${String(unknownKey)}"` : issue.message;
    return { field: fieldName(path), message, ...pos };
  }));
}
