import { PyFloat } from '../core/bench/pyFormat';
import type { OptSpec } from './vllmBenchOptions';

/** A usage error worded like argparse's (`argument --num-prompts: invalid int value: 'x'`). */
export class ArgError extends Error {}

export interface ParsedOptions {
  /** dest → value, every option (defaults filled in), in the table's order. */
  readonly values: Map<string, unknown>;
  /** dests given on the command line. */
  readonly given: Set<string>;
  readonly help: boolean;
}

/** Python int(): optional sign, digits with single underscores between them, surrounding whitespace. */
export function pyInt(s: string): number | undefined {
  const t = s.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** Python float(): decimal/exponent forms with underscores, inf/infinity/nan in any case. */
export function pyFloatParse(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  const m = /^([+-]?)(inf|infinity|nan)$/.exec(t);
  if (m) return m[2] === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?((\d+(_\d+)*)(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)(e[+-]?\d+(_\d+)*)?$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

const flagOf = (dest: string): string => `--${dest.replace(/_/g, '-')}`;

/**
 * Parses `vllm bench serve` arguments with vLLM's rules (FlexibleArgumentParser over argparse, vllm/utils/argparse_utils.py):
 * `--opt value` and `--opt=value`; underscores in names (`--num_prompts`) read as dashes; unique prefixes of a long
 * option (argparse allow_abbrev); nargs lists (`--goodput ttft:500 tpot:50`, `--header a=1 b=2`) run to the next
 * option, and a repeated option replaces the earlier value, as argparse does; dotted JSON keys
 * (`--extra-body.chat_template_kwargs.thinking true`, `--extra-body.stop+ a,b`) merge into that JSON option;
 * `--self-timed` / `--no-self-timed`. Errors (ArgError) use argparse's wording.
 */
export function parseVllmArgs(argv: readonly string[], specs: readonly OptSpec[]): ParsedOptions {
  const byFlag = new Map<string, OptSpec>();
  for (const s of specs) {
    byFlag.set(flagOf(s.dest), s);
    if (s.kind === 'boolopt') byFlag.set(`--no-${s.dest.replace(/_/g, '-')}`, s);
  }
  const values = new Map<string, unknown>(specs.map((s) => [s.dest, s.def]));
  const given = new Set<string>();
  const dotted = new Map<string, Record<string, unknown>>();
  let help = false;

  const resolve = (name: string): string => {
    if (byFlag.has(name)) return name;
    const hits = [...byFlag.keys()].filter((k) => k.startsWith(name));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new ArgError(`ambiguous option: ${name} could match ${hits.join(', ')}`);
    throw new ArgError(`unrecognized arguments: ${name}`);
  };
  const convert = (s: OptSpec, flag: string, raw: string): unknown => {
    const bad = (type: string): never => {
      throw new ArgError(`argument ${flag}: invalid ${type} value: '${raw}'`);
    };
    let v: unknown;
    switch (s.kind) {
      case 'int':
        v = pyInt(raw) ?? bad('int');
        break;
      case 'float': {
        const x = pyFloatParse(raw);
        v = x === undefined ? bad('float') : new PyFloat(x);
        break;
      }
      case 'json':
        try {
          v = JSON.parse(raw);
        } catch {
          bad('loads');
        }
        break;
      default:
        v = raw;
    }
    if (s.choices && !s.choices.includes(raw)) throw new ArgError(`argument ${flag}: invalid choice: '${raw}' (choose from ${s.choices.map((c) => `'${c}'`).join(', ')})`);
    return v;
  };
  const isOption = (a: string): boolean => a.startsWith('-') && a.length > 1 && pyFloatParse(a) === undefined;

  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '--help' || arg === '-h' || arg.startsWith('--help=')) {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ArgError(`unrecognized arguments: ${arg}`);
    // Underscores → dashes in the name (everything after -- up to the first '.' or '=').
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const dot = arg.indexOf('.');
    const name = (dot >= 0 ? arg.slice(0, dot) : arg).replace(/_/g, '-');
    if (dot >= 0) {
      // --json-opt.key.sub value  /  --json-opt.key+ a,b
      const flag = resolve(name);
      const spec = byFlag.get(flag)!;
      if (spec.kind !== 'json') throw new ArgError(`argument ${flag}: dotted keys only apply to JSON options`);
      let path = arg.slice(dot + 1);
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new ArgError(`argument ${arg}: expected one argument`);
      let value: unknown;
      if (path.endsWith('+')) {
        path = path.slice(0, -1);
        value = raw.split(',');
      } else {
        try {
          value = JSON.parse(raw);
        } catch {
          value = raw;
        }
      }
      const keys = path.split('.');
      const root = dotted.get(spec.dest) ?? {};
      let node = root;
      for (const k of keys.slice(0, -1)) {
        if (typeof node[k] !== 'object' || node[k] === null || Array.isArray(node[k])) node[k] = {};
        node = node[k] as Record<string, unknown>;
      }
      const last = keys[keys.length - 1];
      const prev = node[last];
      node[last] = Array.isArray(value) && Array.isArray(prev) ? [...(prev as unknown[]), ...(value as unknown[])] : value;
      dotted.set(spec.dest, root);
      given.add(spec.dest);
      continue;
    }
    const flag = resolve(name);
    const spec = byFlag.get(flag)!;
    given.add(spec.dest);
    switch (spec.kind) {
      case 'flag':
        if (inline !== undefined) throw new ArgError(`argument ${flag}: ignored explicit argument '${inline}'`);
        values.set(spec.dest, true);
        break;
      case 'boolopt':
        if (inline !== undefined) throw new ArgError(`argument ${flag}: ignored explicit argument '${inline}'`);
        values.set(spec.dest, !flag.startsWith('--no-'));
        break;
      case 'list*':
      case 'list+': {
        const items: string[] = inline !== undefined ? [inline] : [];
        while (inline === undefined && i + 1 < argv.length && !isOption(argv[i + 1])) items.push(argv[++i]);
        if (spec.kind === 'list+' && items.length === 0) throw new ArgError(`argument ${flag}: expected at least one argument`);
        values.set(spec.dest, items);
        break;
      }
      default: {
        const raw = inline ?? argv[++i];
        if (raw === undefined || (inline === undefined && isOption(raw))) throw new ArgError(`argument ${flag}: expected one argument`);
        values.set(spec.dest, convert(spec, flag, raw));
      }
    }
  }
  for (const [dest, obj] of dotted) {
    const cur = values.get(dest);
    values.set(dest, typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? deepMerge(cur as Record<string, unknown>, obj) : obj);
  }
  return { values, given, help };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
