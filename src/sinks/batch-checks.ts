// Batch consequences checked after an attempt's transaction commits, so that concurrent
// finishes each see the others' results: completion once nothing is left to call, and the
// circuit breaker. Each status change and its batch event commit together.
import { randomUUID } from 'node:crypto';
import type { Db } from '../core/db/client.js';
import type { WebhookBody } from '../core/events.js';
import { defaultBreaker, shouldTrip, tripReason, type BreakerConfig } from './circuit-breaker.js';
import type { FinishedAttempt } from './record-event.js';
import { completeBatchIfDone, pauseBatch, recentOutcomes, type BatchRow } from './store/batches.js';
import { recordCallEvent } from './store/call-events.js';

export interface BatchChange {
  body: WebhookBody;
  deliveryIds: string[];
}

export async function checkBatch(
  db: Db,
  f: FinishedAttempt,
  breaker: BreakerConfig = defaultBreaker,
): Promise<BatchChange[]> {
  const out: BatchChange[] = [];
  // Checked on every finish, not only failed ones: with concurrent workers the finish that
  // completes the window of ten may be a busy one committed after the last failure.
  const paused = await tripBreaker(db, f.batchId, breaker);
  if (paused) out.push(paused);
  if (f.contactFinished) {
    const done = await completeBatch(db, f.batchId);
    if (done) out.push(done);
  }
  return out;
}

/** Completes the batch if nothing is left to call, with its batch.completed event. */
export async function completeBatch(db: Db, batchId: string): Promise<BatchChange | null> {
  return db.transaction().execute(async (trx) => {
    const b = await completeBatchIfDone(trx, batchId);
    return b ? store(trx, batchEvent(b, 'batch.completed', {})) : null;
  });
}

async function tripBreaker(db: Db, batchId: string, cfg: BreakerConfig): Promise<BatchChange | null> {
  const recent = await recentOutcomes(db, batchId, cfg.windowMs);
  if (!shouldTrip(recent, cfg)) return null;
  const reason = tripReason(recent, cfg);
  return db.transaction().execute(async (trx) => {
    const b = await pauseBatch(trx, batchId, reason);
    return b
      ? store(trx, batchEvent(b, 'batch.paused', { reason, failed: recent.failed, total: recent.total }))
      : null;
  });
}

async function store(db: Db, body: WebhookBody): Promise<BatchChange> {
  return { body, deliveryIds: (await recordCallEvent(db, body)) ?? [] };
}

function batchEvent(
  b: BatchRow,
  type: 'batch.completed' | 'batch.paused',
  data: Record<string, unknown>,
): WebhookBody {
  return {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    orgId: b.org_id,
    campaignId: b.campaign_id,
    batchId: b.id,
    contactId: null,
    attemptId: null,
    data,
  };
}
