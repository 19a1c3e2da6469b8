/**
 * Python's text forms of numbers and values, so our printout and result files are byte-for-byte what `vllm bench serve`
 * writes: `format(x, '.2f')`, `repr(float)`, `json.dump` (default separators, ensure_ascii) and `repr()` of a
 * Namespace's values. Source: CPython `Python/pystrtod.c` (repr: shortest round-trip digits, exponent form when the
 * decimal exponent is < −4 or ≥ 16, ".0" added to integral values), `Lib/json/encoder.py`.
 */

/** A number that Python holds as a float (written `20.0`, not `20`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Marks a number (or nested arrays of numbers) as Python floats for pyJson. */
export function pyFloat(x: number): PyFloat;
export function pyFloat(x: readonly number[]): PyFloat[];
export function pyFloat(x: readonly (readonly number[])[]): PyFloat[][];
export function pyFloat(x: number | readonly number[] | readonly (readonly number[])[]): PyFloat | PyFloat[] | PyFloat[][] {
  if (typeof x === 'number') return new PyFloat(x);
  return (x as readonly (number | readonly number[])[]).map((v) => (typeof v === 'number' ? new PyFloat(v) : v.map((w) => new PyFloat(w)))) as PyFloat[] | PyFloat[][];
}

/** repr(float): `20.0`, `0.0001`, `9.13449998733995e-05`, `1e+16`, `inf`, `nan`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || '0'}`;
}

/**
 * format(x, '.2f'): correctly rounded to 2 decimals on the exact binary value, ties to even (0.125 → "0.12",
 * 0.375 → "0.38"). JavaScript's toFixed is also exact but sends ties up, and a tie is only possible when x·8 is odd.
 */
export function pyFixed2(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const e = a * 8;
  if (Number.isInteger(e) && e % 2 === 1 && a < 2 ** 46) {
    // a = odd/8: a·100 = k + 0.5 exactly; round to the even neighbour.
    const k = Math.floor(a * 100);
    const n = k % 2 === 0 ? k : k + 1;
    return `${sign}${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
  }
  return `${sign}${a.toFixed(2)}`;
}

/** json.dumps string: ensure_ascii escapes everything outside printable ASCII (DEL included) as \uXXXX. */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * json.dump(obj) as Python writes it: `{"a": 1, "b": [1.0, 2.5]}`. Numbers under a key for which `isFloatKey` says
 * yes (in arrays too) and PyFloat values are written as floats (`20.0`; Infinity/NaN as Python's `Infinity`/`NaN`),
 * other integral numbers as ints. `undefined` members are left out (like JSON.stringify).
 */
export function pyJson(v: unknown, isFloatKey: (key: string) => boolean = () => false, asFloat = false): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof PyFloat) return pyJson(v.value, isFloatKey, true);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return Number.isInteger(v) && !asFloat ? String(v) : pyFloatRepr(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return `[${Array.from(v as ArrayLike<unknown>, (x) => pyJson(x, isFloatKey, asFloat)).join(', ')}]`;
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) parts.push(`${pyJsonString(k)}: ${pyJson(x, isFloatKey, isFloatKey(k))}`);
    return `{${parts.join(', ')}}`;
  }
  return 'null';
}

/** repr(str): single quotes unless the text has a single quote and no double quote. */
function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${q}${out}${q}`;
}

/** repr() of a parsed option value: None, True, 'text', 20.0, [..], {'k': v}. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return typeof v === 'bigint' ? v.toString() : 'None';
}
