// `outdial dialer`: a BullMQ worker on the `dial` queue over one Telephony adapter. Everything is
// passed in (no module singletons), so tests and `outdial serve` can run several dialers side by side.
// Shutdown order: stop taking jobs and let in-flight dials finish (Worker.close), then the adapter.
import { DelayedError, Worker, type ConnectionOptions, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../core/db/schema.js';
import type { Logger } from '../core/logger.js';
import { leaseMarginMs } from '../core/leases.js';
import { queueNames, type CallEventJob, type DialJob } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { dialMetrics, type DialMetrics } from './dial-metrics.js';
import { createDialProcessor, type DialJobResult } from './dial-worker.js';
import type { Telephony } from './telephony.js';
import { telephonyFromConfig } from './telephony-from-config.js';

export interface DialerDeps {
  db: Kysely<Database>;
  /** BullMQ connection (an ioredis instance with maxRetriesPerRequest: null, or options). */
  connection: ConnectionOptions;
  prefix: string;
  callEvents: Queue<CallEventJob>;
  telephony: Telephony;
  log: Logger;
  registry: Registry;
  /** Dials in flight per process. With waitUntilAnswered a dial lasts up to the ring timeout. */
  concurrency?: number;
  /** Replaces the Prometheus metrics (the dial benchmark records raw samples through it). */
  metrics?: DialMetrics;
  /** OUTDIAL_LEASE_MARGIN_SECONDS in ms (default 60 s). */
  leaseMarginMs?: number;
  /** BullMQ lock settings; tests shorten them so a killed dialer's job is found stalled quickly. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface Dialer {
  readonly worker: Worker<DialJob, DialJobResult>;
  readonly telephony: Telephony;
  /** Stops taking jobs, waits for the dials in flight, then closes the adapter. Idempotent. */
  close(): Promise<void>;
}

export async function startDialer(deps: DialerDeps): Promise<Dialer> {
  const log = deps.log.child({ role: 'dialer' });
  // The trunk must exist before the first job is taken.
  await deps.telephony.start();
  const processDial = createDialProcessor({
    db: deps.db,
    telephony: deps.telephony,
    callEvents: deps.callEvents,
    log,
    metrics: deps.metrics ?? dialMetrics(deps.registry),
    ...(deps.leaseMarginMs === undefined ? {} : { leaseMarginMs: deps.leaseMarginMs }),
  });
  let stopping = false;
  const worker = new Worker<DialJob, DialJobResult>(
    queueNames.dial,
    async (job, token) => {
      // BullMQ can still hand out a job while close() disconnects its blocking connection; such a
      // job goes back to the queue untouched (delayed by 0) for another dialer, instead of being dialled.
      if (stopping && token !== undefined) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      return processDial(job.data);
    },
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency ?? 100,
      ...(deps.lockDurationMs === undefined ? {} : { lockDuration: deps.lockDurationMs }),
      ...(deps.stalledIntervalMs === undefined ? {} : { stalledInterval: deps.stalledIntervalMs }),
    },
  );
  worker.on('failed', (job, err) =>
    log.error({ attemptId: job?.data.attemptId, err: err.message }, 'dial.job_failed'),
  );
  worker.on('error', (err) => log.error({ err: err.message }, 'dial.worker_error'));
  log.info({ telephony: deps.telephony.kind, concurrency: deps.concurrency ?? 100 }, 'dialer.started');

  let closing: Promise<void> | null = null;
  return {
    worker,
    telephony: deps.telephony,
    close() {
      closing ??= (async () => {
        stopping = true;
        log.info('dialer.stopping');
        await worker.close();
        await deps.telephony.close();
        log.info('dialer.stopped');
      })();
      return closing;
    },
  };
}

/** The dialer role over a process Runtime, with the adapter OUTDIAL_TELEPHONY names (what `outdial dialer` runs). */
export function startDialerFromRuntime(
  rt: Runtime,
  opts: Pick<DialerDeps, 'concurrency' | 'lockDurationMs' | 'stalledIntervalMs'> & {
    telephony?: Telephony;
  } = {},
): Promise<Dialer> {
  const { telephony, ...rest } = opts;
  return startDialer({
    db: rt.db,
    connection: rt.redis,
    prefix: rt.prefix,
    callEvents: rt.queues.callEvents,
    telephony: telephony ?? telephonyFromConfig(rt.config, { db: rt.db, log: rt.log }),
    log: rt.log,
    registry: rt.registry,
    leaseMarginMs: leaseMarginMs(rt.config),
    ...rest,
  });
}

/**
 * On SIGTERM or SIGINT: close the dialer gracefully, then run `after` (close the runtime: queues,
 * Redis, the pool). Returns a function that removes the handlers.
 */
export function closeDialerOnSignals(
  dialer: Dialer,
  after: () => Promise<void>,
  log: Logger,
  signals: Pick<NodeJS.Process, 'once' | 'off'> = globalThis.process,
): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'dialer.signal');
    dialer
      .close()
      .then(after)
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'dialer.shutdown_failed'));
  };
  signals.once('SIGTERM', onSignal);
  signals.once('SIGINT', onSignal);
  return () => {
    signals.off('SIGTERM', onSignal);
    signals.off('SIGINT', onSignal);
  };
}
