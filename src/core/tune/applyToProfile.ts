import { parseDocument, type Document } from 'yaml';
import { parseProfileYaml } from '../profiles/profileYaml';
import type { Profile } from '../profiles/profileSchema';

/** The first words of the comment "Apply to profile" leaves at the top of a profile; a later apply replaces it. */
export const TUNED_COMMENT_MARK = 'Tuned by DeepSeek: Tune Deployment';

/** Which tuning run chose the settings, for the comment written into the profile. */
export interface TunedBy {
  /** The run's id (its folder name under .deepseek/tuning/). */
  readonly runId: string;
  /** The chosen configuration in words ("tp 8, maxNumSeqs 128"). */
  readonly configuration: string;
  /** Why it was chosen (objective and value), one line. */
  readonly why?: string;
  /** When the run finished, ISO 8601. */
  readonly finishedAt?: string;
}

type Path = (string | number)[];

/**
 * Fields a tuning run may set differently from the base without it being a tuning result: each launch gets its own
 * port and bind address, and the API key is per launch. Only `parallel` and `knobs` are written back.
 */
const UNTUNED = new Set(['knobs.port', 'knobs.host', 'knobs.apiKeySecret']);

/** Leaf paths where `a` and `b` differ; arrays and scalars compare as whole values, objects recurse. */
function changedPaths(a: unknown, b: unknown, at: Path = []): { path: Path; value: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedPaths(a[k], b[k], [...at, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: at, value: b }];
}

/** One-line YAML comment text: no line breaks can end the comment early and start YAML content. */
const oneLine = (s: string): string => s.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();

/**
 * Writes a tuned configuration into a profile's YAML text, changing only the serve settings (`parallel.*`, `knobs.*`
 * but port, bind address and API key) that differ between `base` (the profile as parsed from `text`) and `tuned`, so the user's comments, key order and other fields stay as they were
 * (the `yaml` Document API keeps comments). A comment at the top names the tuning run; an earlier such comment is
 * replaced, not stacked.
 * @param text the profile file's current text (it must parse as `base`)
 * @param base the profile parsed from `text` (defaults filled in by the schema)
 * @param tuned the profile the tuning run launched for the chosen configuration
 * @returns the new text and the dotted paths that changed ("knobs.maxNumSeqs")
 * @throws ProfileError (field + line) when the written profile would not validate, Error when `text` is not YAML
 */
export function applyTunedProfile(text: string, base: Profile, tuned: Profile, by: TunedBy, file = 'profile.deepseek.yaml'): { text: string; changed: string[] } {
  // Our earlier note (one line in the file's leading comments) is replaced, never stacked; other comments stay.
  const lines = text.split('\n');
  let head = 0;
  while (head < lines.length && /^\s*(#.*)?$/.test(lines[head])) head++;
  const kept = [...lines.slice(0, head).filter((l) => !l.replace(/^\s*#\s?/, '').startsWith(TUNED_COMMENT_MARK)), ...lines.slice(head)].join('\n');
  const doc: Document = parseDocument(kept, { uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${file}: YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const changes = (['parallel', 'knobs'] as const).flatMap((k) => changedPaths(base[k], tuned[k], [k])).filter((c) => !UNTUNED.has(c.path.join('.')));
  for (const c of changes) {
    if (c.value === undefined) doc.deleteIn(c.path);
    else doc.setIn(c.path, doc.createNode(c.value));
  }
  const note = `# ${TUNED_COMMENT_MARK}, run ${oneLine(by.runId)}${by.finishedAt ? ` (${oneLine(by.finishedAt)})` : ''}: ${oneLine(by.configuration)}${by.why ? ` (${oneLine(by.why)})` : ''}`;
  // Flow collections ({kind: process}) keep the compact spelling people write.
  const out = `${note}\n${doc.toString({ flowCollectionPadding: false })}`;
  parseProfileYaml(out, file);
  return { text: out, changed: changes.map((c) => c.path.join('.')) };
}
