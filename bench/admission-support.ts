// Pieces of bench/admission.ts shared by both designs: the completion stub (one per design, the
// same code), the observer that counts concurrency and refill latency, Redis INFO sampling, the
// seeded workload and the fairness index.
import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import { campaignInputSchema } from '../src/core/campaign.js';
import type { Db } from '../src/core/db/client.js';
import type { SlotLeases } from '../src/core/leases.js';
import { alwaysOpenSchedule } from '../test/support/fixtures.js';

// The seeded PRNG lives in core; re-exported so a run's limits are the same every time.
export { seededRandom } from '../src/core/random.js';

export interface BatchSpec {
  id: string;
  orgId: string;
  campaignId: string;
  limit: number;
  contacts: number;
}

export interface OrgSpec {
  id: string;
  limit: number;
  batches: BatchSpec[];
}

export interface Percentiles {
  p50: number;
  p99: number;
  samples: number;
}

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), samples: sorted.length };
}

/** Jain's index over x_i / share_i: 1 when every batch got its max-min fair share of the org. */
export function jainFairness(got: number[], share: number[]): number {
  const x = got.map((g, i) => g / Math.max(1e-9, share[i] ?? 1));
  const sum = x.reduce((a, b) => a + b, 0);
  const sq = x.reduce((a, b) => a + b * b, 0);
  return sq === 0 ? 0 : Math.round(((sum * sum) / (x.length * sq)) * 1000) / 1000;
}

/** Max-min fair shares of `capacity` among demands capped at `limits` (water-filling). */
export function maxMinShares(capacity: number, limits: number[]): number[] {
  const share = limits.map(() => 0);
  let left = capacity;
  let open = limits.map((_, i) => i);
  while (left > 1e-9 && open.length > 0) {
    const each = left / open.length;
    const next: number[] = [];
    for (const i of open) {
      const room = (limits[i] ?? 0) - (share[i] ?? 0);
      const give = Math.min(room, each);
      share[i] = (share[i] ?? 0) + give;
      left -= give;
      if (room > each) next.push(i);
    }
    if (next.length === open.length) break;
    open = next;
  }
  return share;
}

export interface CallInfo {
  orgId: string;
  batchId: string;
  contactId: string;
}

/**
 * What both designs see of a call: started when its dial job got its slots and claimed the attempt,
 * ended just before the slots are released. Counts only from claim to release, so it can only
 * under-state the leases held: any excess it reports is a real limit violation.
 */
export class CallObserver {
  readonly org = new Map<string, number>();
  readonly batch = new Map<string, number>();
  system = 0;
  readonly maxOrg = new Map<string, number>();
  readonly maxBatch = new Map<string, number>();
  maxSystem = 0;
  violations = 0;
  started = 0;
  finished = 0;
  readonly startsByBatch = new Map<string, number[]>();
  private readonly releases = new Map<string, number[]>();
  readonly refill: number[] = [];

  /**
   * `refillFromMs`: releases earlier than this (ms after construction) are not paired for refill
   * latency, so the ramp-up (every slot filled at once) does not count as steady state.
   */
  constructor(
    private readonly limits: { org: Map<string, number>; batch: Map<string, number>; system: number },
    private readonly refillFromMs = 0,
    private readonly t0 = performance.now(),
  ) {}

  start(c: CallInfo): void {
    const now = performance.now();
    this.started += 1;
    const o = (this.org.get(c.orgId) ?? 0) + 1;
    const b = (this.batch.get(c.batchId) ?? 0) + 1;
    this.org.set(c.orgId, o);
    this.batch.set(c.batchId, b);
    this.system += 1;
    this.maxOrg.set(c.orgId, Math.max(this.maxOrg.get(c.orgId) ?? 0, o));
    this.maxBatch.set(c.batchId, Math.max(this.maxBatch.get(c.batchId) ?? 0, b));
    this.maxSystem = Math.max(this.maxSystem, this.system);
    if (o > (this.limits.org.get(c.orgId) ?? Infinity)) this.violations += 1;
    if (b > (this.limits.batch.get(c.batchId) ?? Infinity)) this.violations += 1;
    if (this.system > this.limits.system) this.violations += 1;
    const starts = this.startsByBatch.get(c.batchId) ?? [];
    starts.push(now - this.t0);
    this.startsByBatch.set(c.batchId, starts);
    // A freed org slot is refilled by the org's next call to start: pair them oldest first.
    const pending = this.releases.get(c.orgId);
    const freedAt = pending?.shift();
    if (freedAt !== undefined) this.refill.push(now - freedAt);
  }

  end(c: CallInfo): void {
    // Only a release from a full org frees a slot that nothing else may take and that this org's
    // next call must refill; releases as an org runs out of contacts would otherwise pile up and
    // be paired with much later starts.
    const full =
      (this.org.get(c.orgId) ?? 0) >= (this.limits.org.get(c.orgId) ?? Infinity) &&
      performance.now() - this.t0 >= this.refillFromMs;
    this.org.set(c.orgId, (this.org.get(c.orgId) ?? 1) - 1);
    this.batch.set(c.batchId, (this.batch.get(c.batchId) ?? 1) - 1);
    this.system -= 1;
    this.finished += 1;
    if (!full) return;
    const pending = this.releases.get(c.orgId) ?? [];
    pending.push(performance.now());
    this.releases.set(c.orgId, pending);
  }
}

interface Claimed {
  id: string;
  org_id: string;
  batch_id: string;
  contact_id: string;
}

/**
 * Runs one statement for all the ids that arrive in the same tick (each caller gets its own row),
 * which keeps Postgres out of the way of the admission figures.
 */
function perTick<R extends { id: string }>(run: (ids: string[]) => Promise<R[]>) {
  let waiting: { id: string; done: (row: R | undefined) => void; fail: (err: unknown) => void }[] = [];
  const flush = async () => {
    const group = waiting;
    waiting = [];
    try {
      const byId = new Map((await run(group.map((g) => g.id))).map((x) => [x.id, x]));
      for (const g of group) g.done(byId.get(g.id));
    } catch (err) {
      for (const g of group) g.fail(err);
    }
  };
  return (id: string) =>
    new Promise<R | undefined>((done, fail) => {
      if (waiting.length === 0) setImmediate(() => void flush());
      waiting.push({ id, done, fail });
    });
}

/**
 * The completion stub, identical for both designs: claims the attempt as the dialer does
 * (queued → dialing, guarded: a redelivered job dials nothing), holds the "call" for `holdMs`,
 * finishes attempt and contact as `completed`, then releases the slots (which publishes on the
 * wake channel), as the sinks do.
 */
export function completionStub(db: Db, leases: SlotLeases, observer: CallObserver, holdMs: () => number) {
  const claim = perTick(async (ids) => {
    const r = await sql<Claimed>`
      update attempts set status = 'dialing', started_at = now(), updated_at = now()
       where id = any(${ids}::uuid[]) and status = 'queued'
      returning id, org_id, batch_id, contact_id`.execute(db);
    return r.rows;
  });
  const finish = perTick(async (ids) => {
    await sql`
      with a as (
        update attempts set status = 'finished', outcome = 'completed', ended_at = now(), updated_at = now()
         where id = any(${ids}::uuid[]) returning contact_id)
      update contacts set status = 'finished', last_outcome = 'completed', next_attempt_at = null, updated_at = now()
       where id in (select contact_id from a)`.execute(db);
    return [];
  });
  return async (attemptId: string): Promise<void> => {
    const row = await claim(attemptId);
    if (!row) return; // the attempt was past queued: not dialled again
    const call = { orgId: row.org_id, batchId: row.batch_id, contactId: String(row.contact_id) };
    observer.start(call);
    const ms = holdMs();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    await finish(attemptId);
    observer.end(call);
    await leases.release({ orgId: call.orgId, batchId: call.batchId, attemptId });
  };
}

/** Sum of `calls` over INFO commandstats. */
export async function commandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) n += Number(m[1]);
  return n;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Samples used_memory every `everyMs` until stopped; resolves the peak in MB. */
export function memorySampler(redis: Redis, everyMs = 50) {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await usedMemory(redis));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    peak = Math.max(peak, await usedMemory(redis));
    return Math.round((peak / 1024 / 1024) * 100) / 100;
  };
}

/** Seeds orgs, one campaign per org, batches and `perBatch` contacts each, straight in SQL. */
export async function seedWorkload(
  db: Db,
  shape: { orgLimits: number[]; batchLimits: number[][]; perBatch: number[] },
): Promise<OrgSpec[]> {
  await sql`update trunks set cps = 1000000 where id = 'default'`.execute(db);
  const orgs: OrgSpec[] = [];
  let k = 0;
  for (const [i, orgLimit] of shape.orgLimits.entries()) {
    const org = await sql<{ id: string }>`
      insert into orgs (name, max_concurrency)
      values (${`bench org ${i}`}, ${orgLimit})
      returning id`.execute(db);
    const orgId = org.rows[0]!.id;
    const campaign = await sql<{ id: string }>`
      insert into campaigns (org_id, name, mode, config)
      values (${orgId}, 'bench', 'one_way', ${JSON.stringify(benchCampaign)}::jsonb) returning id`.execute(
      db,
    );
    const campaignId = campaign.rows[0]!.id;
    const spec: OrgSpec = { id: orgId, limit: orgLimit, batches: [] };
    for (const [j, limit] of (shape.batchLimits[i] ?? []).entries()) {
      const b = await sql<{ id: string }>`
        insert into batches (org_id, campaign_id, name, max_concurrency, status, started_at)
        values (${orgId}, ${campaignId}, ${`bench ${i}.${j}`}, ${limit}, 'running', now()) returning id`.execute(
        db,
      );
      const batchId = b.rows[0]!.id;
      const n = shape.perBatch[k++] ?? 0;
      await sql`
        insert into contacts (org_id, batch_id, phone, timezones, tz_source, line, next_attempt_at)
        select ${orgId}, ${batchId}, '+1202' || lpad(g::text, 7, '0'), '{UTC}', 'explicit', g, now() - interval '1 second'
          from generate_series(1, ${n}::int) g`.execute(db);
      spec.batches.push({ id: batchId, orgId, campaignId, limit, contacts: n });
    }
    orgs.push(spec);
  }
  await sql`analyze contacts`.execute(db);
  return orgs;
}

// Windows open all week in UTC: the benchmark measures admission, not window maths.
const benchCampaign = campaignInputSchema.parse({
  name: 'bench',
  mode: 'one_way',
  message: 'Hi',
  schedule: alwaysOpenSchedule,
});
