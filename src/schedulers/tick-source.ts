// When admission looks again without a wake-up: a BullMQ job-scheduler tick shared by every
// scheduler process (one of them runs each tick), and a local fallback timer at twice the period,
// so admission goes on while Redis is away and comes back. The tick's job scheduler lives in
// Redis and goes with it: `upsert` puts it back (the reconcile loop calls it after each pass).
import { Worker } from 'bullmq';
import type { Logger } from '../core/logger.js';
import { queueNames } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';

const TICK_SCHEDULER_ID = 'admission-tick';

export interface TickSource {
  upsert: () => Promise<void>;
  /** Stops the fallback timer and the tick worker. */
  close: () => Promise<void>;
}

export async function startTickSource(
  rt: Runtime,
  opts: { everyMs: number; onTick: () => Promise<void>; log: Logger },
): Promise<TickSource> {
  const queue = rt.queues.scheduler;
  const upsert = async () => {
    await queue.upsertJobScheduler(
      TICK_SCHEDULER_ID,
      { every: opts.everyMs },
      { name: 'tick', opts: { removeOnComplete: true, removeOnFail: true } },
    );
  };
  await upsert();
  const worker = new Worker(queueNames.scheduler, opts.onTick, { connection: rt.redis, prefix: rt.prefix, concurrency: 1 });
  worker.on('error', (err) => opts.log.warn({ err: err.message }, 'scheduler.tick_error'));
  const fallback = setInterval(() => {
    opts.onTick().catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, 'scheduler.tick_failed'));
  }, opts.everyMs * 2);
  return {
    upsert,
    async close() {
      clearInterval(fallback);
      await worker.close();
    },
  };
}
