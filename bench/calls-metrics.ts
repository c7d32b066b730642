// Reading a Prometheus histogram from a /metrics text and estimating a quantile from it the way
// PromQL's histogram_quantile does (linear inside the bucket that holds the rank). Pure.

/** Cumulative bucket counts by upper bound (+Inf included), summed over every label set. */
export type Buckets = ReadonlyMap<number, number>;

export function histogramBuckets(metricsText: string, name: string): Buckets {
  const out = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\}\\s+(\\S+)$`, 'gm');
  for (const m of metricsText.matchAll(re)) {
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    out.set(le, (out.get(le) ?? 0) + Number(m[2]));
  }
  return out;
}

/** later − earlier, bucket by bucket: what was observed between two scrapes. */
export function bucketsDelta(later: Buckets, earlier: Buckets): Buckets {
  return new Map([...later].map(([le, n]) => [le, n - (earlier.get(le) ?? 0)]));
}

export function bucketsCount(b: Buckets): number {
  return b.get(Infinity) ?? 0;
}

/**
 * histogram_quantile(q): the bucket holding rank q·count, interpolated linearly from its lower
 * bound (0 for the first bucket). A rank in the +Inf bucket answers the highest finite bound.
 * null without observations.
 */
export function histogramQuantile(q: number, b: Buckets): number | null {
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const total = bucketsCount(b);
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const cumulative = b.get(le) ?? 0;
    if (cumulative >= rank) {
      if (le === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket <= 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}
