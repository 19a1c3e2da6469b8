/**
 * The CLI's one option parser: boolean flags, options with a value (last one wins), repeatable options, positionals.
 * A missing value or an unknown option is a usage error (exit 2), reported the same way by every command.
 */
export interface ArgSpec {
  readonly flags?: readonly string[];
  readonly values?: readonly string[];
  readonly repeatable?: readonly string[];
  readonly aliases?: Readonly<Record<string, string>>;
  /** How many positionals are allowed (default 0). */
  readonly positionals?: number;
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs | { error: string } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = spec.aliases?.[argv[i]] ?? argv[i];
    if (a === '--help' || a === '-h') return { help: true, flags, values, lists, positionals };
    if (spec.flags?.includes(a)) flags.add(a);
    else if (spec.values?.includes(a) || spec.repeatable?.includes(a)) {
      const v = argv[++i];
      if (v === undefined) return { error: `${a} needs a value` };
      if (spec.repeatable?.includes(a)) lists.set(a, [...(lists.get(a) ?? []), v]);
      else values.set(a, v);
    } else if (!a.startsWith('-') && positionals.length < (spec.positionals ?? 0)) positionals.push(a);
    else return { error: a.startsWith('-') ? `unknown option ${a}` : `unexpected argument ${a}` };
  }
  return { help: false, flags, values, lists, positionals };
}
