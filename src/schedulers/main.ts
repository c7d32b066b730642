// `outdial scheduler`: runs admission cycles when a slot is released (pub/sub on the wake channel),
// on a BullMQ job-scheduler tick (≤ 1 s, shared by every scheduler process), and on a local
// fallback timer (so admission goes on while Redis is away and comes back); the reconciler runs
// every few seconds. Cycles in one process never overlap; a wake during a cycle runs one more.
import { Worker } from 'bullmq';
import { createSlotLeases, createTrunkBuckets } from '../core/leases.js';
import { outdialMetrics } from '../core/metrics-catalog.js';
import { queueNames } from '../core/queues.js';
import { createRedis } from '../core/redis.js';
import type { Runtime } from '../core/runtime.js';
import { activateBatches, runCycle, type AdmissionDeps } from './admission.js';
import { reconcile } from './reconciler.js';

export interface SchedulerOptions {
  /** The BullMQ tick and the local fallback timer (default 1000 ms). */
  tickMs?: number;
  /** Reconciler period (default 5000 ms). */
  reconcileMs?: number;
  /** Queued attempts older than this without a dial job are re-enqueued (default 2000 ms). */
  requeueGraceMs?: number;
  /** Outbox events not recorded after this long are queued again (default 15 s). */
  outboxResendAfterMs?: number;
  now?: () => Date;
}

export interface Scheduler {
  /** Runs admission now (and again while wakes arrive or claims were spent on moves); resolves with the number admitted. */
  kick(): Promise<number>;
  reconcileNow(): ReturnType<typeof reconcile>;
  close(): Promise<void>;
}

const TICK_SCHEDULER_ID = 'admission-tick';
const TOKEN_RETRY_MS = 50;

export async function startScheduler(rt: Runtime, opts: SchedulerOptions = {}): Promise<Scheduler> {
  const log = rt.log.child({ role: 'scheduler' });
  const leases = createSlotLeases(rt.redis, rt.keys);
  const deps: AdmissionDeps = {
    rt,
    leases,
    buckets: createTrunkBuckets(rt.redis, rt.keys),
    metrics: outdialMetrics(rt.registry),
    ...(opts.now ? { now: opts.now } : {}),
  };
  const tickMs = opts.tickMs ?? 1000;
  let cycleNo = 0;
  let running: Promise<number> | null = null;
  let again = false;
  let closed = false;

  let tokenRetry: NodeJS.Timeout | null = null;
  // One productive cycle fills every free slot (due contacts are counted up to the batch limit),
  // so another runs only when a wake arrived meanwhile or claims were spent on window moves or DNC.
  const loop = async (): Promise<number> => {
    let total = 0;
    do {
      again = false;
      const r = await runCycle(deps, cycleNo++);
      total += r.admitted;
      if (r.rescheduled + r.dnc > 0) again = true;
      if (!r.leasesReady) reconcileLogged(); // Redis lost the leases: rebuild them now, then admit
      if (r.tokenLimited && !tokenRetry && !closed) {
        // Out of trunk call tokens: look again as they refill rather than at the next tick.
        tokenRetry = setTimeout(() => {
          tokenRetry = null;
          kickLogged();
        }, TOKEN_RETRY_MS);
      }
    } while (again && !closed);
    return total;
  };
  const kick = (): Promise<number> => {
    if (closed) return Promise.resolve(0);
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => {
      running = null;
    });
    return running;
  };
  const kickLogged = () => {
    kick().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduler.cycle_failed'));
  };
  // Starting scheduled batches is checked on every tick, not on every wake-up (it is a write).
  const tick = async () => {
    if (closed) return;
    await activateBatches(rt);
    await kick();
  };
  const reconcileOpts = {
    ...(opts.requeueGraceMs === undefined ? {} : { requeueGraceMs: opts.requeueGraceMs }),
    ...(opts.outboxResendAfterMs === undefined ? {} : { outboxResendAfterMs: opts.outboxResendAfterMs }),
  };
  let reconciling: Promise<void> | null = null;
  const reconcileOnce = (): Promise<void> => {
    reconciling ??= reconcile(rt, leases, reconcileOpts)
      .then(async (r) => {
        if (Object.values(r).some((n) => n > 0)) log.info(r, 'scheduler.reconciled');
        await upsertTick(); // the tick's job scheduler is lost with Redis; put it back
      })
      .finally(() => {
        reconciling = null;
      });
    return reconciling;
  };
  const reconcileLogged = () => {
    if (closed) return;
    reconcileOnce()
      .then(kickLogged)
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduler.reconcile_failed'));
  };
  const tickLogged = () => {
    tick().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduler.tick_failed'));
  };

  const sub = createRedis(rt.config.REDIS_URL, 'worker');
  sub.on('error', (err: Error) => log.warn({ err: err.message }, 'scheduler.subscriber_error'));
  sub.on('message', kickLogged);
  await sub.subscribe(rt.keys.wakeChannel);

  const tickQueue = rt.queues.scheduler;
  const upsertTick = () => tickQueue.upsertJobScheduler(TICK_SCHEDULER_ID, { every: tickMs }, { name: 'tick', opts: { removeOnComplete: true, removeOnFail: true } });
  await upsertTick();
  const tickWorker = new Worker(queueNames.scheduler, tick, { connection: rt.redis, prefix: rt.prefix, concurrency: 1 });
  tickWorker.on('error', (err) => log.warn({ err: err.message }, 'scheduler.tick_error'));

  const fallback = setInterval(tickLogged, tickMs * 2);
  const reconcileTimer = setInterval(reconcileLogged, opts.reconcileMs ?? 5000);
  // Leases must be known complete before the first admission (a fresh or emptied Redis has none).
  await reconcileOnce().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduler.reconcile_failed'));
  tickLogged();
  log.info({ tickMs }, 'scheduler.started');

  return {
    kick,
    reconcileNow: () => reconcile(rt, leases, reconcileOpts),
    async close() {
      closed = true;
      clearInterval(fallback);
      if (tokenRetry) clearTimeout(tokenRetry);
      clearInterval(reconcileTimer);
      await tickWorker.close();
      await running?.catch(() => 0); // a failing last cycle was already logged
      // A reconcile pass in flight would otherwise go on over a runtime its owner is about to close.
      await reconciling?.catch(() => undefined); // its failure was already logged
      sub.disconnect();
      log.info('scheduler.stopped');
    },
  };
}
