/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order. Rejects with the
 * first error (remaining items are not started once a call fails).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
      while (next < items.length && !failed) {
        const i = next++;
        try {
          out[i] = await fn(items[i], i);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }),
  );
  return out;
}
