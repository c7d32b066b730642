// `outdial scheduler`: three parts wired together. Admission cycles, single-flight (cycle-loop.ts),
// are kicked when a slot is released (pub/sub on the wake channel) and on each tick (tick-source.ts:
// a BullMQ job-scheduler tick ≤ 1 s shared by every scheduler process, and a local fallback
// timer); a tick also starts scheduled batches whose time has come. The reconciler runs every few
// seconds (reconcile-loop.ts), and once before the first admission.
import { createSlotLeases, createTrunkBuckets } from '../core/leases.js';
import { outdialMetrics } from '../core/metrics-catalog.js';
import { createRedis } from '../core/redis.js';
import type { Runtime } from '../core/runtime.js';
import { activateBatches, runCycle, type AdmissionDeps } from './admission.js';
import { createCycleLoop } from './cycle-loop.js';
import { startReconcileLoop, type ReconcileLoop } from './reconcile-loop.js';
import { reconcile } from './reconciler.js';
import { startTickSource } from './tick-source.js';

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
  const reconcileOpts = {
    ...(opts.requeueGraceMs === undefined ? {} : { requeueGraceMs: opts.requeueGraceMs }),
    ...(opts.outboxResendAfterMs === undefined ? {} : { outboxResendAfterMs: opts.outboxResendAfterMs }),
  };
  let closed = false;
  let reconciles: ReconcileLoop | null = null;
  const cycles = createCycleLoop({
    runCycle: (n) => runCycle(deps, n),
    onLeasesLost: () => reconciles?.runLogged(),
    log,
  });

  const sub = createRedis(rt.config.REDIS_URL, 'worker');
  sub.on('error', (err: Error) => log.warn({ err: err.message }, 'scheduler.subscriber_error'));
  sub.on('message', cycles.kickLogged);
  await sub.subscribe(rt.keys.wakeChannel);

  // Starting scheduled batches is checked on every tick, not on every wake-up (it is a write).
  const onTick = async () => {
    if (closed) return;
    await activateBatches(rt);
    await cycles.kick();
  };
  const ticks = await startTickSource(rt, { everyMs: tickMs, onTick, log });
  reconciles = startReconcileLoop({
    pass: () => reconcile(rt, leases, reconcileOpts),
    afterPass: ticks.upsert,
    then: cycles.kickLogged,
    everyMs: opts.reconcileMs ?? 5000,
    log,
  });
  // Leases must be known complete before the first admission (a fresh or emptied Redis has none).
  await reconciles.runOnce().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduler.reconcile_failed'));
  onTick().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'scheduler.tick_failed'));
  log.info({ tickMs }, 'scheduler.started');

  const stopReconciles = reconciles;
  return {
    kick: cycles.kick,
    reconcileNow: () => reconcile(rt, leases, reconcileOpts),
    async close() {
      closed = true;
      const stopping = [cycles.close(), stopReconciles.close()];
      await ticks.close();
      await Promise.all(stopping);
      sub.disconnect();
      log.info('scheduler.stopped');
    },
  };
}
