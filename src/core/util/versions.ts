/**
 * The one version comparator (engine releases such as "0.9.0", "v0.10.1rc1", "0.5.5.post2"): numeric fields split
 * on . + -, a leading "v" ignored, missing fields 0. Returns < 0, 0 or > 0 like a sort comparator. Pre-release tags
 * compare by their numeric part only ("0.10.1rc1" = "0.10.1"), which is what flag-spelling decisions need.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.replace(/^v/, '').split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
