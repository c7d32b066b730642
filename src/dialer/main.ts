// `outdial dialer`: a BullMQ worker on the `dial` queue over one Telephony adapter. Everything is
// passed in (no module singletons), so tests and `outdial serve` can run several dialers side by side.
// Shutdown order: stop taking jobs and let in-flight dials finish (Worker.close), then the adapter.
import { Worker, type ConnectionOptions, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../core/db/schema.js';
import type { Logger } from '../core/logger.js';
import { queueNames, type CallEventJob, type DialJob } from '../core/queues.js';
import { dialMetrics } from './dial-metrics.js';
import { createDialProcessor, type DialJobResult } from './dial-worker.js';
import type { Telephony } from './telephony.js';

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
    metrics: dialMetrics(deps.registry),
  });
  const worker = new Worker<DialJob, DialJobResult>(queueNames.dial, (job) => processDial(job.data), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 100,
    ...(deps.lockDurationMs === undefined ? {} : { lockDuration: deps.lockDurationMs }),
    ...(deps.stalledIntervalMs === undefined ? {} : { stalledInterval: deps.stalledIntervalMs }),
  });
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
        log.info('dialer.stopping');
        await worker.close();
        await deps.telephony.close();
        log.info('dialer.stopped');
      })();
      return closing;
    },
  };
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
