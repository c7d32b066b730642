// A stand-in for the dialer and the sinks, for scheduler tests and the admission benchmark: it
// consumes `dial` jobs, claims each attempt with the dialer's guarded update (queued → dialing),
// holds the "call" for a while, then finishes attempt and contact as `completed` and releases the
// slot leases, as the sinks would. It counts what it saw: dials per attempt and per contact, and
// the concurrency per org and batch (counted from claim until just before release, so it can only
// under-state the leases held: any excess it reports is a real limit violation).
import { Worker } from 'bullmq';
import { sql } from 'kysely';
import { createSlotLeases } from '../../src/core/leases.js';
import { queueNames, type DialJob } from '../../src/core/queues.js';
import type { Runtime } from '../../src/core/runtime.js';

export interface DialStubOptions {
  /** How long a call lasts (ms); 0 completes at once. */
  holdMs?: number | (() => number);
  concurrency?: number;
  /** Called once a job's attempt is claimed, with the instant its processing started (refill latency ends there). */
  onActive?: (a: { orgId: string; batchId: string; attemptId: string }, startedAt: number) => void;
  /** Called just before a slot is released. */
  onRelease?: (a: { orgId: string; batchId: string; attemptId: string }, at: number) => void;
}

export interface DialStub {
  /** Successful queued → dialing claims per attempt id (> 1 would be a double dial). */
  dials: Map<string, number>;
  /** Dials per contact id. */
  contactDials: Map<string, number>;
  /** Jobs that found their attempt already past `queued` and did nothing. */
  skipped: number;
  finished: number;
  maxOrg: Map<string, number>;
  maxBatch: Map<string, number>;
  maxSystem: number;
  worker: Worker<DialJob>;
  close(): Promise<void>;
}

interface Claimed {
  org_id: string;
  batch_id: string;
  contact_id: string;
}

export function startDialStub(rt: Runtime, opts: DialStubOptions = {}): DialStub {
  const leases = createSlotLeases(rt.redis, rt.keys);
  const active = { org: new Map<string, number>(), batch: new Map<string, number>(), system: new Map<string, number>() };
  const bump = (kind: keyof typeof active, key: string, d: number, max: Map<string, number>) => {
    const v = (active[kind].get(key) ?? 0) + d;
    active[kind].set(key, v);
    if (d > 0) max.set(key, Math.max(max.get(key) ?? 0, v));
  };
  const systemMax = new Map<string, number>();
  const stub: Omit<DialStub, 'worker' | 'close'> = {
    dials: new Map(),
    contactDials: new Map(),
    skipped: 0,
    finished: 0,
    maxOrg: new Map(),
    maxBatch: new Map(),
    maxSystem: 0,
  };
  const hold = () => (typeof opts.holdMs === 'function' ? opts.holdMs() : (opts.holdMs ?? 0));

  const processor = async (job: { data: DialJob }) => {
    const attemptId = job.data.attemptId;
    const startedAt = performance.now();
    const r = await sql<Claimed>`
      update attempts set status = 'dialing', started_at = now(), updated_at = now()
       where id = ${attemptId} and status = 'queued'
      returning org_id, batch_id, contact_id`.execute(rt.db);
    const a = r.rows[0];
    if (!a) {
      stub.skipped += 1;
      return;
    }
    const contactId = String(a.contact_id);
    opts.onActive?.({ orgId: a.org_id, batchId: a.batch_id, attemptId }, startedAt);
    stub.dials.set(attemptId, (stub.dials.get(attemptId) ?? 0) + 1);
    stub.contactDials.set(contactId, (stub.contactDials.get(contactId) ?? 0) + 1);
    bump('org', a.org_id, 1, stub.maxOrg);
    bump('batch', a.batch_id, 1, stub.maxBatch);
    bump('system', 'system', 1, systemMax);
    stub.maxSystem = systemMax.get('system') ?? 0;
    const ms = hold();
    if (ms > 0) await new Promise((res) => setTimeout(res, ms));
    await sql`
      with done as (
        update attempts set status = 'finished', outcome = 'completed', ended_at = now(), updated_at = now()
         where id = ${attemptId} and status <> 'finished' returning contact_id)
      update contacts set status = 'finished', last_outcome = 'completed', next_attempt_at = null, updated_at = now()
       where id in (select contact_id from done) and status = 'in_progress'`.execute(rt.db);
    stub.finished += 1;
    bump('org', a.org_id, -1, stub.maxOrg);
    bump('batch', a.batch_id, -1, stub.maxBatch);
    bump('system', 'system', -1, systemMax);
    const owner = { orgId: a.org_id, batchId: a.batch_id, attemptId };
    opts.onRelease?.(owner, performance.now());
    await leases.release(owner);
  };

  const worker = new Worker<DialJob>(queueNames.dial, processor, {
    connection: rt.redis,
    prefix: rt.prefix,
    concurrency: opts.concurrency ?? 50,
    removeOnComplete: { count: 1000 },
  });
  // Jobs whose keys vanished under them (a simulated Redis loss) fail to complete; that is expected.
  worker.on('error', () => undefined);
  const out = stub as DialStub;
  out.worker = worker;
  out.close = () => worker.close();
  return out;
}
