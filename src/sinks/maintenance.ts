// The sinks' periodic work, as BullMQ job schedulers on the `maintenance` queue (one process
// runs each tick however many sinks run): a sweep that re-enqueues webhook deliveries whose
// job was lost and completes batches whose last finish check was lost, and daily retention.
import { Queue, Worker, type Job } from 'bullmq';
import { sql } from 'kysely';
import { queueNames, queueOptions } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { completableStatuses, completeBatches, drained } from '../core/sql/batches/complete.js';
import { enqueueOverdue } from './deliveries.js';
import { orphanedDeliveries } from './store/deliveries.js';

export interface MaintenanceOptions {
  sweepEveryMs?: number;
  /** A delivery due this long without being tried counts as orphaned. */
  orphanAfterMs?: number;
  /** Runs retention (set by main.ts when retention is configured). */
  retention?: (rt: Runtime) => Promise<unknown>;
  retentionCron?: string;
}

export interface Maintenance {
  queue: Queue;
  worker: Worker;
  close(): Promise<void>;
}

export async function sweep(
  rt: Runtime,
  orphanAfterMs: number,
): Promise<{ requeued: number; completed: number }> {
  const orphans = await orphanedDeliveries(rt.db, orphanAfterMs, 1000);
  const requeued = await enqueueOverdue(rt.queues.webhooks, orphans);
  // Batches left running with nothing to do: the finishing job's batch check was lost after
  // its commit. A minute's quiet leaves that check time to run first.
  const idle = await sql<{ id: string }>`
    select b.id from batches b
     where b.status = any(${completableStatuses}::text[])
       and exists (select 1 from attempts a where a.batch_id = b.id)
       and not exists (select 1 from attempts a where a.batch_id = b.id and a.ended_at > now() - interval '1 minute')
       and ${drained('b')}
     limit 100`.execute(rt.db);
  const completed = await completeBatches(rt.db, rt.queues.callEvents, idle.rows.map((b) => b.id));
  return { requeued, completed: completed.length };
}

export async function startMaintenance(rt: Runtime, opts: MaintenanceOptions = {}): Promise<Maintenance> {
  const queue = new Queue(queueNames.maintenance, queueOptions(rt.redis, rt.prefix));
  const log = rt.log.child({ worker: queueNames.maintenance });
  const sweepEveryMs = opts.sweepEveryMs ?? 30_000;
  const schedule = async () => {
    await queue.upsertJobScheduler('sinks-sweep', { every: sweepEveryMs }, { name: 'sweep' });
    if (opts.retention) {
      await queue.upsertJobScheduler(
        'sinks-retention',
        { pattern: opts.retentionCron ?? '17 3 * * *' },
        { name: 'retention' },
      );
    }
  };
  await schedule();
  // The schedules live in Redis and go with it (a flush, a failover): put them back now and then
  // (idempotent, and cheap next to the sweep itself).
  const reschedule = setInterval(() => {
    schedule().catch((err: Error) => log.warn({ err: err.message }, 'maintenance.schedule_failed'));
  }, sweepEveryMs);
  const worker = new Worker(
    queueNames.maintenance,
    async (job: Job) => {
      if (job.name === 'sweep') {
        const r = await sweep(rt, opts.orphanAfterMs ?? 60_000);
        if (r.requeued > 0 || r.completed > 0) log.info(r, 'maintenance.swept');
      } else if (job.name === 'retention') {
        if (opts.retention) log.info({ result: await opts.retention(rt) }, 'maintenance.retention');
      } else {
        // This queue is the sinks' own; a job of another name would otherwise vanish unnoticed.
        throw new Error(`unknown maintenance job ${JSON.stringify(job.name)}`);
      }
    },
    { connection: rt.redis, prefix: rt.prefix, concurrency: 1 },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker.error'));
  // A worker closed while still connecting rejects internally with "Connection is closed".
  await worker.waitUntilReady();
  return {
    queue,
    worker,
    async close() {
      clearInterval(reschedule);
      await worker.close();
      await queue.close();
    },
  };
}
