// The `webhooks` worker: one job = one try of one stored delivery. Claim the row (guarded),
// check the endpoint's address (SSRF), sign with Standard Webhooks and POST; then mark it
// succeeded, schedule the next try with backoff, dead-letter it, or disable the endpoint on
// 410 Gone. The row is the truth; a job is only a reminder to look at it.
import { Worker, type Job } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { createDb, type Db } from '../core/db/client.js';
import {
  checkedAddress,
  DestinationRefusedError,
  systemResolver,
  type DestinationOptions,
  type Resolver,
} from '../core/destination.js';
import type { Logger } from '../core/logger.js';
import { outdialMetrics, type OutdialMetrics } from '../core/metrics-catalog.js';
import { queueNames, webhookJobSchema, type WebhookJob } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { decryptionKeys, decryptSecret } from '../core/secrets.js';
import { defaultBackoff, nextRetryAt, type BackoffConfig } from './backoff.js';
import { createGroupRunner, createWriteBatcher, type GroupRunner } from './group-commit.js';
import { enqueueRetry } from './deliveries.js';
import { createAgents, postSigned, type Agents, type SendResult } from './http-send.js';
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

interface Ctx {
  rt: Runtime;
  db: Db;
  log: Logger;
  metrics: OutdialMetrics;
  agents: Agents;
  signer: (d: ClaimedDelivery) => Webhook;
  timeoutMs: number;
  backoff: BackoffConfig;
  random: () => number;
  destination: DestinationOptions;
  succeeded: GroupRunner<{ id: string; status: number }, void>;
}

export function startWebhookWorker(rt: Runtime, opts: WebhookWorkerOptions = {}): Worker<WebhookJob> {
  const { db, pool } = deliveryDb(rt.config.DATABASE_URL, opts.poolMax ?? 8);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const ctx: Ctx = {
    rt,
    db,
    log: rt.log.child({ worker: queueNames.webhooks }),
    metrics: outdialMetrics(rt.registry),
    agents: createAgents(),
    signer: signerCache(decryptionKeys(rt.config)),
    timeoutMs,
    backoff: opts.backoff ?? defaultBackoff,
    random: opts.random ?? Math.random,
    destination: {
      allowPrivate: opts.allowPrivate ?? rt.config.OUTDIAL_WEBHOOK_ALLOW_PRIVATE,
      resolve: opts.resolve ?? systemResolver,
    },
    succeeded: createWriteBatcher((items: { id: string; status: number }[]) => markSucceeded(db, items)),
  };
  // Claims of concurrent jobs share one statement (one round trip per group), like success marks.
  const claims = createGroupRunner(
    async (ids: string[]) => {
      const rows = new Map((await claimDeliveries(db, ids, timeoutMs + 5_000)).map((d) => [d.id, d]));
      return ids.map((id) => ({ ok: true as const, value: rows.get(id) }));
    },
    { maxGroup: 128, maxInFlight: 2 },
  );
  const worker = new Worker<WebhookJob>(
    queueNames.webhooks,
    async (job: Job<WebhookJob>) => {
      const d = await claims.add(webhookJobSchema.parse(job.data).deliveryId);
      if (d) await deliver(ctx, d);
    },
    {
      connection: rt.redis,
      prefix: rt.prefix,
      concurrency: opts.concurrency ?? 64,
      // A job held by a killed process comes back as stalled; BullMQ's default (1) fails it for good
      // on the second stall and its event or delivery is lost. Safe to retry: both are idempotent by id.
      maxStalledCount: 1000,
    },
  );
  worker.on('error', (err) => ctx.log.warn({ err: err.message }, 'worker.error'));
  worker.on('closed', () => {
    ctx.agents.http.destroy();
    ctx.agents.https.destroy();
    pool.end().catch((err: Error) => ctx.log.warn({ err: err.message }, 'pool.close_failed'));
  });
  return worker;
}

/** One try of a claimed delivery. */
async function deliver(ctx: Ctx, d: ClaimedDelivery): Promise<void> {
  if (!d.endpoint_live) {
    await markFailed(ctx.db, {
      id: d.id,
      statusCode: null,
      error: 'endpoint disabled or deleted',
      retryAt: null,
    });
    ctx.metrics.webhookDeliveries.inc({ status: 'dead' });
    return;
  }
  const stop = ctx.metrics.webhookDelivery.startTimer();
  // Anything that goes wrong while sending (even a secret that no longer decrypts) is a
  // failed try: it is retried with backoff and dead-lettered in the end, never lost.
  const result = await send(ctx, d).catch((err: Error): SendResult => ({
    status: null,
    error: 'internal error',
    detail: err.message,
  }));
  stop();
  await settle(ctx, d, result);
}

async function send(ctx: Ctx, d: ClaimedDelivery): Promise<SendResult> {
  const url = URL.canParse(d.url) ? new URL(d.url) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return { status: null, error: 'endpoint URL is not http(s)' };
  }
  let addr;
  try {
    addr = await checkedAddress(url.hostname, ctx.destination);
  } catch (err) {
    if (!(err instanceof DestinationRefusedError)) throw err;
    // A failed try like any other (retried with backoff). The delivery log, which the tenant
    // reads, gets the generic text; the reason, which may name internal addresses, only this log.
    const where = { deliveryId: d.id, endpointId: d.endpoint_id, host: err.host, reason: err.reason };
    ctx.log.warn(where, 'webhook.destination_refused');
    return { status: null, error: err.message };
  }
  const body = JSON.stringify(contractBody(d.payload));
  const now = new Date();
  const headers = {
    'webhook-id': d.event_id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': ctx.signer(d).sign(d.event_id, now, body),
    'user-agent': 'outdial-webhooks/1',
  };
  return postSigned(ctx.agents, url, addr, body, headers, ctx.timeoutMs);
}

async function settle(ctx: Ctx, d: ClaimedDelivery, r: SendResult): Promise<void> {
  if (r.status !== null && r.status >= 200 && r.status < 300) {
    await ctx.succeeded.add({ id: d.id, status: r.status });
    ctx.metrics.webhookDeliveries.inc({ status: 'succeeded' });
    return;
  }
  const error = r.error ?? `HTTP ${r.status}`;
  const where = {
    deliveryId: d.id,
    endpointId: d.endpoint_id,
    attempts: d.attempts,
    error,
    detail: r.detail,
  };
  if (r.status === 410) {
    await disableEndpoint(ctx.db, d.endpoint_id, 'receiver answered 410 Gone');
    await markFailed(ctx.db, { id: d.id, statusCode: 410, error, retryAt: null });
    ctx.metrics.webhookDeliveries.inc({ status: 'dead' });
    ctx.log.warn(where, 'webhook.endpoint_disabled');
    return;
  }
  const retryAt = nextRetryAt(d.attempts, d.created_at, new Date(), ctx.random, ctx.backoff);
  await markFailed(ctx.db, { id: d.id, statusCode: r.status, error, retryAt });
  ctx.metrics.webhookDeliveries.inc({ status: retryAt ? 'failed' : 'dead' });
  if (retryAt) {
    ctx.log.info(where, 'webhook.failed');
    await enqueueRetry(ctx.rt.queues.webhooks, d.id, d.attempts, retryAt);
  } else {
    ctx.log.warn(where, 'webhook.dead');
  }
}

/** Decrypting a secret per delivery is wasted work: signers are kept per endpoint (bounded). */
function signerCache(keys: readonly string[]): (d: ClaimedDelivery) => Webhook {
  const signers = new Map<string, { enc: string; signer: Webhook }>();
  return (d) => {
    const hit = signers.get(d.endpoint_id);
    if (hit && hit.enc === d.secret_enc) return hit.signer;
    if (signers.size > 10_000) signers.clear();
    const signer = new Webhook(decryptSecret(d.secret_enc, keys));
    signers.set(d.endpoint_id, { enc: d.secret_enc, signer });
    return signer;
  };
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
