// How many contacts each batch may admit in one cycle: slots are dealt one at a time, round-robin
// over the batches in the given (rotating) order, so a large batch cannot starve its neighbours.
// Pure. The Lua lease script is the real guard; this only decides how many rows to claim.

export interface BatchDemand {
  batchId: string;
  orgId: string;
  trunkId: string;
  /** batches.max_concurrency, read this cycle (it may change while the batch runs). */
  batchLimit: number;
  batchActive: number;
  /** Due contacts (capped): no point claiming more than there are. */
  due: number;
}

export interface Capacity {
  limit: number;
  active: number;
}

export interface AllocationInput {
  /** Runnable batches in this cycle's round-robin order. */
  batches: readonly BatchDemand[];
  orgs: ReadonlyMap<string, Capacity>;
  system: Capacity;
}

/**
 * Deals `want[i]` units to each item in order, one unit per item per round, while every pool the
 * item draws from has units left. Returns what each item got.
 */
export function dealRoundRobin(
  want: readonly number[],
  poolsOf: (i: number) => readonly string[],
  pools: Map<string, number>,
): number[] {
  const got = want.map(() => 0);
  for (let progress = true; progress; ) {
    progress = false;
    for (let i = 0; i < want.length; i++) {
      if ((got[i] ?? 0) >= (want[i] ?? 0)) continue;
      const keys = poolsOf(i);
      if (!keys.every((k) => (pools.get(k) ?? 0) > 0)) continue;
      for (const k of keys) pools.set(k, (pools.get(k) ?? 0) - 1);
      got[i] = (got[i] ?? 0) + 1;
      progress = true;
    }
  }
  return got;
}

const free = (c: Capacity | undefined) => Math.max(0, (c?.limit ?? 0) - (c?.active ?? 0));

/** Slots per batch: min(batch free, org free shared fairly, system free shared fairly, due). */
export function allocateSlots(input: AllocationInput): Map<string, number> {
  const pools = new Map<string, number>([['system', free(input.system)]]);
  for (const [orgId, c] of input.orgs) pools.set(`org:${orgId}`, free(c));
  const want = input.batches.map((b) => Math.min(b.due, Math.max(0, b.batchLimit - b.batchActive)));
  const got = dealRoundRobin(want, (i) => ['system', `org:${input.batches[i]?.orgId ?? ''}`], pools);
  return new Map(input.batches.map((b, i) => [b.batchId, got[i] ?? 0]));
}

/** Trims slots to the call tokens each trunk granted, again round-robin. */
export function fitToTokens(
  batches: readonly BatchDemand[],
  slots: ReadonlyMap<string, number>,
  tokens: ReadonlyMap<string, number>,
): Map<string, number> {
  const pools = new Map([...tokens].map(([trunk, n]) => [`trunk:${trunk}`, n]));
  const want = batches.map((b) => slots.get(b.batchId) ?? 0);
  const got = dealRoundRobin(want, (i) => [`trunk:${batches[i]?.trunkId ?? ''}`], pools);
  return new Map(batches.map((b, i) => [b.batchId, got[i] ?? 0]));
}

/** The batches in round-robin order for cycle `n`: sorted by id, then rotated by n. */
export function rotate<T>(items: readonly T[], n: number): T[] {
  if (items.length === 0) return [];
  const k = ((n % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
