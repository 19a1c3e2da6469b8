/**
 * Orders engine release strings ("0.9.0", "v0.25.0", "0.5.15.post1", "0.26.1rc1"): numeric fields compared left to
 * right, missing fields read as 0, a leading "v" ignored. Returns < 0, 0 or > 0 like a sort comparator.
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
