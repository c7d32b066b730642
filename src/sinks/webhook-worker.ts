// The `webhooks` worker: one job = one try of one stored delivery. Claim the row (guarded),
// check the endpoint's address (SSRF), sign with Standard Webhooks and POST; then mark it
// succeeded, schedule the next try with backoff, dead-letter it, or disable the endpoint on
// 410 Gone. The row is the truth; a job is only a reminder to look at it.
import { Worker, type Job } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { createDb } from '../core/db/client.js';
import { outdialMetrics } from '../core/metrics-catalog.js';
import { queueNames, webhookJobSchema, type WebhookJob } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { DEV_ENCRYPTION_KEY, decryptSecret } from '../core/secrets.js';
import { defaultBackoff, nextRetryAt, type BackoffConfig } from './backoff.js';
import { createGroupRunner, createWriteBatcher } from './batcher.js';
import { enqueueRetry } from './deliveries.js';
import { createAgents, postSigned, type SendResult } from './http-send.js';
import { RefusedAddressError, resolveAllowed, systemResolver, type Resolver } from './ssrf.js';
import {
  claimDeliveries,
  disableEndpoint,
  markFailed,
  markSucceeded,
  type ClaimedDelivery,
} from './store/deliveries.js';

export interface WebhookWorkerOptions {
  concurrency?: number;
  /** Per-request timeout (contract: 10 s). */
  timeoutMs?: number;
  backoff?: BackoffConfig;
  random?: () => number;
  allowPrivate?: boolean;
  resolve?: Resolver;
  /** Connections of the worker's own pool (default 8). */
  poolMax?: number;
}

/**
 * The worker's own pool, with synchronous_commit off: delivery bookkeeping (claim, result) is
 * written several times per delivery, and waiting for a WAL flush each time halves throughput.
 * A Postgres crash can lose the last few milliseconds of it, which means a webhook is sent
 * again: delivery is at least once anyway, and receivers deduplicate by webhook-id.
 */
function deliveryDb(url: string, max: number): ReturnType<typeof createDb> {
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return createDb(u.toString(), { max });
}

export function startWebhookWorker(rt: Runtime, opts: WebhookWorkerOptions = {}): Worker<WebhookJob> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const backoff = opts.backoff ?? defaultBackoff;
  const random = opts.random ?? Math.random;
  const allowPrivate = opts.allowPrivate ?? rt.config.OUTDIAL_WEBHOOK_ALLOW_PRIVATE;
  const resolve = opts.resolve ?? systemResolver;
  const key = rt.config.OUTDIAL_ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY;
  const metrics = outdialMetrics(rt.registry);
  const log = rt.log.child({ worker: queueNames.webhooks });
  const agents = createAgents();
  const signers = new Map<string, { enc: string; signer: Webhook }>();
  const { db, pool } = deliveryDb(rt.config.DATABASE_URL, opts.poolMax ?? 8);
  // Claims and success marks of concurrent jobs share statements (one round trip per group).
  const claims = createGroupRunner(
    async (ids: string[]) => {
      const rows = new Map((await claimDeliveries(db, ids, timeoutMs + 5_000)).map((d) => [d.id, d]));
      return ids.map((id) => ({ ok: true as const, value: rows.get(id) }));
    },
    { maxGroup: 128, maxInFlight: 2 },
  );
  const succeeded = createWriteBatcher((items: { id: string; status: number }[]) => markSucceeded(db, items));

  function signerFor(d: ClaimedDelivery): Webhook {
    const hit = signers.get(d.endpoint_id);
    if (hit && hit.enc === d.secret_enc) return hit.signer;
    if (signers.size > 10_000) signers.clear();
    const signer = new Webhook(decryptSecret(d.secret_enc, key));
    signers.set(d.endpoint_id, { enc: d.secret_enc, signer });
    return signer;
  }

  async function send(d: ClaimedDelivery): Promise<SendResult> {
    const url = URL.canParse(d.url) ? new URL(d.url) : null;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return { status: null, error: 'endpoint URL is not http(s)' };
    }
    let addr;
    try {
      addr = await resolveAllowed(url.hostname, allowPrivate, resolve);
    } catch (err) {
      // A refused or unresolvable address is a failed try like any other: retried with backoff.
      const msg =
        err instanceof RefusedAddressError ? `refused: ${err.message}` : `dns: ${(err as Error).message}`;
      return { status: null, error: msg };
    }
    const body = JSON.stringify(contractBody(d.payload));
    const now = new Date();
    const headers = {
      'webhook-id': d.event_id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signerFor(d).sign(d.event_id, now, body),
      'user-agent': 'outdial-webhooks/1',
    };
    return postSigned(agents, url, addr, body, headers, timeoutMs);
  }

  async function settle(d: ClaimedDelivery, r: SendResult): Promise<void> {
    if (r.status !== null && r.status >= 200 && r.status < 300) {
      await succeeded.add({ id: d.id, status: r.status });
      metrics.webhookDeliveries.inc({ status: 'succeeded' });
      return;
    }
    const error = r.error ?? `HTTP ${r.status}`;
    if (r.status === 410) {
      await disableEndpoint(db, d.endpoint_id, 'receiver answered 410 Gone');
      await markFailed(db, { id: d.id, statusCode: 410, error, retryAt: null });
      metrics.webhookDeliveries.inc({ status: 'dead' });
      log.warn({ deliveryId: d.id, endpointId: d.endpoint_id }, 'webhook.endpoint_disabled');
      return;
    }
    const retryAt = nextRetryAt(d.attempts, d.created_at, new Date(), random, backoff);
    await markFailed(db, { id: d.id, statusCode: r.status, error, retryAt });
    metrics.webhookDeliveries.inc({ status: retryAt ? 'failed' : 'dead' });
    log.info(
      { deliveryId: d.id, endpointId: d.endpoint_id, attempts: d.attempts, error, dead: !retryAt },
      'webhook.failed',
    );
    if (retryAt) await enqueueRetry(rt.queues.webhooks, d.id, d.attempts, retryAt);
  }

  const worker = new Worker<WebhookJob>(
    queueNames.webhooks,
    async (job: Job<WebhookJob>) => {
      const { deliveryId } = webhookJobSchema.parse(job.data);
      const d = await claims.add(deliveryId);
      if (!d) return;
      if (!d.endpoint_live) {
        await markFailed(db, {
          id: d.id,
          statusCode: null,
          error: 'endpoint disabled or deleted',
          retryAt: null,
        });
        metrics.webhookDeliveries.inc({ status: 'dead' });
        return;
      }
      const stop = metrics.webhookDelivery.startTimer();
      // Anything that goes wrong while sending (even a secret that no longer decrypts) is a
      // failed try: it is retried with backoff and dead-lettered in the end, never lost.
      const result = await send(d).catch((err: Error) => ({
        status: null,
        error: `internal: ${err.message}`,
      }));
      stop();
      await settle(d, result);
    },
    { connection: rt.redis, prefix: rt.prefix, concurrency: opts.concurrency ?? 64 },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker.error'));
  worker.on('closed', () => {
    agents.http.destroy();
    agents.https.destroy();
    pool.end().catch((err: Error) => log.warn({ err: err.message }, 'pool.close_failed'));
  });
  return worker;
}

const bodyKeys = [
  'id',
  'type',
  'occurredAt',
  'orgId',
  'campaignId',
  'batchId',
  'contactId',
  'attemptId',
  'data',
];

/** jsonb reorders keys; send them in the contract's order. */
function contractBody(payload: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(bodyKeys.map((k) => [k, payload[k] ?? null]));
}
