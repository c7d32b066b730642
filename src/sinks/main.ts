// `outdial sinks`: the call-events worker, the webhooks worker and the maintenance schedulers.
// Everything a worker needs is passed in (runtime, window maths, leases), so tests run the same
// code with short timeouts. Shutdown closes workers first; the runtime closes queues and pools.
import type { Worker } from 'bullmq';
import { nextOpen as windowNextOpen } from '../core/calling-window.js';
import { createSlotLeases } from '../core/leases.js';
import type { Runtime } from '../core/runtime.js';
import {
  startCallEventsWorker,
  type CallEventsWorkerOptions,
  type LeaseReleaser,
} from './call-events-worker.js';
import { startMaintenance, type Maintenance, type MaintenanceOptions } from './maintenance.js';
import { createObjectStore } from './object-store.js';
import { runRetention } from './retention.js';
import type { NextOpen } from './retry-policy.js';
import { startWebhookWorker, type WebhookWorkerOptions } from './webhook-worker.js';

export interface SinksOptions {
  /** Default: the schedulers' slot leases on rt.redis (release is idempotent and wakes them). */
  leases?: LeaseReleaser;
  nextOpen?: NextOpen;
  callEvents?: Omit<CallEventsWorkerOptions, 'nextOpen' | 'leases'>;
  webhooks?: WebhookWorkerOptions;
  /** false: no sweep or retention schedulers (tests that drive them directly). */
  maintenance?: MaintenanceOptions | false;
}

export interface Sinks {
  callEvents: Worker;
  webhooks: Worker;
  maintenance: Maintenance | null;
  close(): Promise<void>;
}

export async function startSinks(rt: Runtime, opts: SinksOptions = {}): Promise<Sinks> {
  const callEvents = startCallEventsWorker(rt, {
    ...opts.callEvents,
    nextOpen: opts.nextOpen ?? windowNextOpen,
    leases: opts.leases ?? createSlotLeases(rt.redis, rt.keys),
  });
  const webhooks = startWebhookWorker(rt, opts.webhooks);
  const store = createObjectStore(rt.config);
  if (!store)
    rt.log.warn(
      'sinks.no_object_store: recordings are kept past retention until S3_ACCESS_KEY/S3_SECRET_KEY are set',
    );
  const maintenance =
    opts.maintenance === false
      ? null
      : await startMaintenance(rt, {
          retention: (r) => runRetention(r.db, store, r.log),
          ...opts.maintenance,
        });
  await Promise.all([callEvents.waitUntilReady(), webhooks.waitUntilReady()]);
  rt.log.info({ role: 'sinks' }, 'sinks.started');
  return {
    callEvents,
    webhooks,
    maintenance,
    async close() {
      await Promise.all([callEvents.close(), webhooks.close(), maintenance?.close()]);
    },
  };
}
