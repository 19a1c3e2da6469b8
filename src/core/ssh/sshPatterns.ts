/**
 * OpenSSH's pattern matching (match.c): `*` matches any run of characters (also none), `?` exactly one; nothing
 * else is special. Used by ssh_config `Host` lines (one pattern per word) and `Match` criteria (comma lists with `!`).
 */

/** match_pattern(3): whole-string, case-sensitive wildcard match. Iterative, so no pattern can make it blow up. */
export function matchPattern(s: string, pattern: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < pattern.length && (pattern[pi] === '?' || (pattern[pi] !== '*' && pattern[pi] === s[si]))) {
      si++;
      pi++;
    } else if (pi < pattern.length && pattern[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else return false;
  }
  while (pi < pattern.length && pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * match_pattern_list(3): `list` is comma-separated patterns, each optionally negated with `!`.
 * Returns -1 when a negated pattern matches (a veto), 1 when a positive one matches, 0 otherwise.
 * With `lower`, the patterns are lowercased first (OpenSSH does so for host names).
 */
export function matchPatternList(s: string, list: string, lower: boolean): -1 | 0 | 1 {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    let sub = negated ? raw.slice(1) : raw;
    if (lower) sub = sub.toLowerCase();
    if (matchPattern(s, sub)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** match_hostname(3): the host lowercased, against a lowercased pattern list. */
export function matchHostname(host: string, list: string): -1 | 0 | 1 {
  return matchPatternList(host.toLowerCase(), list, true);
}
