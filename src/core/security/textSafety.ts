/**
 * Characters that change how text reads or parses without being visible: C0/C1 controls (newline ends a `#SBATCH`
 * directive or a YAML scalar, NUL ends a C string), DEL, the Unicode line/paragraph separators, and the bidirectional
 * controls that make source text display in an order other than the one a shell or parser reads it ("Trojan Source",
 * CVE-2021-42574: U+202A–U+202E embeddings/overrides, U+2066–U+2069 isolates, U+200E/U+200F marks, U+061C ALM).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Names the first unsafe character of `s` (e.g. "U+202E (bidirectional control)", "a newline"), or undefined. */
export function unsafeCharIn(s: string, opts: { allowNewlines?: boolean } = {}): string | undefined {
  const re = new RegExp(UNSAFE.source, 'gu');
  for (const m of s.matchAll(re)) {
    const c = m[0];
    if (opts.allowNewlines && (c === '\n' || c === '\t' || c === '\r')) continue;
    return describeChar(c);
  }
  return undefined;
}

export function describeChar(c: string): string {
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (c === '\n') return `a newline (${code})`;
  if (c === '\r') return `a carriage return (${code})`;
  if (c === '\t') return `a tab (${code})`;
  if (c === '\u0000') return `NUL (${code})`;
  if (BIDI.test(c)) return `${code} (a bidirectional control: the text would display in a different order than it runs)`;
  return `${code} (a control character)`;
}

/** Shows unsafe characters as visible `\u{…}` escapes: for comments and messages that echo a value back. */
export const escapeUnsafe = (s: string): string => s.replace(new RegExp(UNSAFE.source, 'gu'), (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
