// The `call-events` worker. Jobs that arrive together are recorded together: one transaction
// per group (group-commit.ts), events applied in attempt-id order so concurrent groups lock attempt
// rows in the same order and cannot deadlock. After the commit: queue the webhook deliveries,
// release the finished attempts' slot leases (which wakes the schedulers), check their batches.
// If a group fails, its events are retried one transaction each, so one bad event fails alone.
// The transaction also deletes the events' outbox rows (core/events.ts).
// A failure after the commit retries the job, which then stops as a duplicate; the maintenance
// sweep re-enqueues orphaned deliveries and completes batches, and leases expire on their own.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../core/logger.js';
import { outdialMetrics, type OutdialMetrics } from '../core/metrics-catalog.js';
import { callEventJobSchema, queueNames, type CallEvent, type CallEventJob } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { createGroupRunner, type Settled } from './group-commit.js';
import { checkBatch } from './batch-checks.js';
import type { BreakerConfig } from './circuit-breaker.js';
import { enqueueDeliveries } from './deliveries.js';
import { recordEvents, type FinishedAttempt, type Recorded } from './record-event.js';
import type { NextOpen } from './retry-policy.js';

export interface LeaseReleaser {
  release(a: { orgId: string; batchId: string; attemptId: string }): Promise<unknown>;
}

export interface CallEventsWorkerOptions {
  nextOpen: NextOpen;
  leases: LeaseReleaser;
  /** Jobs held at once (default 64); they are recorded in groups of up to `maxGroup` (32). */
  concurrency?: number;
  maxGroup?: number;
  /** Groups recorded in parallel (default 4; each holds one pool connection). */
  maxInFlight?: number;
  breaker?: BreakerConfig;
}

interface Ctx {
  rt: Runtime;
  opts: CallEventsWorkerOptions;
  log: Logger;
  metrics: OutdialMetrics;
}

export function startCallEventsWorker(rt: Runtime, opts: CallEventsWorkerOptions): Worker<CallEventJob> {
  const ctx: Ctx = {
    rt,
    opts,
    log: rt.log.child({ worker: queueNames.callEvents }),
    metrics: outdialMetrics(rt.registry),
  };
  const runner = createGroupRunner((events: CallEvent[]) => runGroup(ctx, events), {
    maxGroup: opts.maxGroup ?? 32,
    maxInFlight: opts.maxInFlight ?? 4,
  });
  const worker = new Worker<CallEventJob>(
    queueNames.callEvents,
    async (job: Job<CallEventJob>) => {
      const parsed = callEventJobSchema.safeParse(job.data);
      if (!parsed.success) {
        // Unknown type or data that does not fit it: failed for good (BullMQ's failed set is the
        // dead letter, with this reason), never half-applied.
        ctx.log.error({ jobId: job.id, type: job.data.type, err: parsed.error.message }, 'event.rejected');
        throw new UnrecoverableError(`invalid call event: ${parsed.error.message}`);
      }
      const ev = parsed.data;
      const rec = await runner.add(ev);
      if (rec.kind === 'skipped') {
        ctx.log.debug(
          { eventId: ev.id, type: ev.type, attemptId: ev.attemptId, reason: rec.reason },
          'event.skipped',
        );
      }
    },
    {
      connection: rt.redis,
      prefix: rt.prefix,
      concurrency: opts.concurrency ?? 64,
      // A job held by a killed process comes back as stalled; BullMQ's default (1) fails it for good
      // on the second stall and its event or delivery is lost. Safe to retry: both are idempotent by id.
      maxStalledCount: 1000,
      // ...and comes back within 15 s rather than BullMQ's 30-60 s: a call's last event that waits
      // past the attempt's deadline finds the attempt already failed as stuck, and the contact is
      // called again. Recording a group takes milliseconds, so a 10 s lock is never outlived.
      lockDuration: 10_000,
      stalledInterval: 5_000,
    },
  );
  worker.on('failed', (job, err) =>
    ctx.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'event.failed'),
  );
  worker.on('error', (err) => ctx.log.warn({ err: err.message }, 'worker.error'));
  return worker;
}

/** A group in one transaction; if it fails, each event alone, so one bad event fails alone. */
async function runGroup(ctx: Ctx, events: CallEvent[]): Promise<Settled<Recorded>[]> {
  try {
    return (await record(ctx, events)).map((value) => ({ ok: true, value }));
  } catch (err) {
    if (events.length === 1) return [{ ok: false, error: err }];
    ctx.log.warn({ err: (err as Error).message, size: events.length }, 'events.group_failed');
    return Promise.all(
      events.map((e) =>
        record(ctx, [e]).then(
          ([value]) =>
            value ? { ok: true as const, value } : { ok: false as const, error: new Error('no result') },
          (error: unknown) => ({ ok: false as const, error }),
        ),
      ),
    );
  }
}

async function record(ctx: Ctx, events: CallEvent[]): Promise<Recorded[]> {
  const order = events.map((_, i) => i).sort((a, b) => key(events[a]).localeCompare(key(events[b])));
  const sorted = order.map((i) => events[i] as CallEvent);
  const recorded = await ctx.rt.db.transaction().execute(async (trx) => {
    const r = await recordEvents(trx, sorted, ctx.opts.nextOpen);
    // Recorded (or known duplicates): the outbox rows have done their work, in the same commit.
    await trx.deleteFrom('event_outbox').where('id', 'in', sorted.map((e) => e.id)).execute();
    return r;
  });
  const results: Recorded[] = new Array<Recorded>(events.length);
  order.forEach((i, k) => (results[i] = recorded[k] as Recorded));
  await afterCommit(ctx, results);
  return results;
}

async function afterCommit(ctx: Ctx, results: Recorded[]): Promise<void> {
  const { rt, opts, metrics } = ctx;
  const stored = results.flatMap((r) => (r.kind === 'stored' ? [r] : []));
  await enqueueDeliveries(
    rt.queues.webhooks,
    stored.flatMap((r) => r.deliveryIds),
  );
  const finished = stored.flatMap((r) => (r.finished ? [r.finished] : []));
  for (const f of finished) {
    metrics.callsTotal.inc({ outcome: f.outcome });
    if (!f.contactFinished) metrics.retriesScheduled.inc({ outcome: f.outcome });
    if (f.answeredMs !== null) metrics.callDuration.observe({ mode: f.mode }, f.answeredMs / 1000);
    await opts.leases.release({ orgId: f.orgId, batchId: f.batchId, attemptId: f.attemptId });
  }
  for (const f of onePerBatch(finished)) {
    const changes = await checkBatch(rt.db, rt.queues.callEvents, f, opts.breaker);
    for (const c of changes)
      ctx.log.info({ batchId: c.batchId, type: c.type, data: c.data }, 'batch.changed');
    await enqueueDeliveries(
      rt.queues.webhooks,
      changes.flatMap((c) => c.deliveryIds),
    );
  }
}

function key(ev: CallEvent | undefined): string {
  return ev?.attemptId ?? ev?.batchId ?? '';
}

/** One check per batch: completion needs any finished contact, the breaker needs any finish. */
function onePerBatch(finished: FinishedAttempt[]): FinishedAttempt[] {
  const byBatch = new Map<string, FinishedAttempt>();
  for (const f of finished) {
    const seen = byBatch.get(f.batchId);
    byBatch.set(
      f.batchId,
      seen ? { ...seen, contactFinished: seen.contactFinished || f.contactFinished } : f,
    );
  }
  return [...byBatch.values()];
}
