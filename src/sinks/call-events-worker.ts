// The `call-events` worker: each job is one event, recorded in one transaction
// (record-event.ts). After the commit: queue its webhook deliveries, release the attempt's
// slot lease (which wakes the schedulers), then check the batch. A failure after the commit
// retries the job, which then stops as a duplicate; the maintenance sweep re-enqueues
// orphaned deliveries and completes batches, and leases expire on their own.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { outdialMetrics } from '../core/metrics-catalog.js';
import { callEventJobSchema, queueNames, type CallEventJob } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { checkBatch } from './batch-checks.js';
import type { BreakerConfig } from './circuit-breaker.js';
import { enqueueDeliveries } from './deliveries.js';
import { recordEvent, type FinishedAttempt } from './record-event.js';
import type { NextOpen } from './retry-policy.js';

export interface LeaseReleaser {
  release(a: { orgId: string; batchId: string; attemptId: string }): Promise<unknown>;
}

export interface CallEventsWorkerOptions {
  nextOpen: NextOpen;
  leases: LeaseReleaser;
  concurrency?: number;
  breaker?: BreakerConfig;
}

export function startCallEventsWorker(rt: Runtime, opts: CallEventsWorkerOptions): Worker<CallEventJob> {
  const metrics = outdialMetrics(rt.registry);
  const log = rt.log.child({ worker: queueNames.callEvents });
  const worker = new Worker<CallEventJob>(
    queueNames.callEvents,
    async (job: Job<CallEventJob>) => {
      const parsed = callEventJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid call event: ${parsed.error.message}`);
      const ev = parsed.data;
      const rec = await rt.db.transaction().execute((trx) => recordEvent(trx, ev, opts.nextOpen));
      if (rec.kind === 'skipped') {
        log.debug(
          { eventId: ev.id, type: ev.type, attemptId: ev.attemptId, reason: rec.reason },
          'event.skipped',
        );
        return;
      }
      await enqueueDeliveries(rt.queues.webhooks, rec.deliveryIds);
      if (rec.finished) await afterFinish(rt, opts, rec.finished);
    },
    {
      connection: rt.redis,
      prefix: rt.prefix,
      concurrency: opts.concurrency ?? 16,
    },
  );
  worker.on('failed', (job, err) =>
    log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'event.failed'),
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker.error'));

  async function afterFinish(r: Runtime, o: CallEventsWorkerOptions, f: FinishedAttempt): Promise<void> {
    metrics.callsTotal.inc({ outcome: f.outcome });
    if (!f.contactFinished) metrics.retriesScheduled.inc({ outcome: f.outcome });
    await o.leases.release({ orgId: f.orgId, batchId: f.batchId, attemptId: f.attemptId });
    const changes = await checkBatch(r.db, f, o.breaker);
    for (const c of changes) {
      log.info({ batchId: c.body.batchId, type: c.body.type, data: c.body.data }, 'batch.changed');
    }
    await enqueueDeliveries(
      r.queues.webhooks,
      changes.flatMap((c) => c.deliveryIds),
    );
  }

  return worker;
}
