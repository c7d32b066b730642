// Batch consequences checked after an attempt's transaction commits, so that concurrent
// finishes each see the others' results: completion once nothing is left to call (the core
// transition, announced through the outbox and recorded like any event), and the circuit
// breaker (recorded here, with the pause). Each status change and its batch event commit together.
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Db } from '../core/db/client.js';
import type { EventType } from '../core/domain.js';
import type { WebhookBody } from '../core/events.js';
import type { CallEventJob } from '../core/queues.js';
import { completeBatches } from '../core/sql/batches/complete.js';
import { defaultBreaker, shouldTrip, tripReason, type BreakerConfig } from './circuit-breaker.js';
import type { FinishedAttempt } from './record-event.js';
import { pauseBatch, recentOutcomes, type BatchRow } from './store/batches.js';
import { recordCallEvent } from './store/call-events.js';

export interface BatchChange {
  batchId: string;
  type: EventType;
  data: Record<string, unknown>;
  /** Deliveries to queue now (none for an event that is queued to be recorded). */
  deliveryIds: string[];
}

export async function checkBatch(
  db: Db,
  callEvents: Queue<CallEventJob>,
  f: FinishedAttempt,
  breaker: BreakerConfig = defaultBreaker,
): Promise<BatchChange[]> {
  const out: BatchChange[] = [];
  // Checked on every finish, not only failed ones: with concurrent workers the finish that
  // completes the window of ten may be a busy one committed after the last failure.
  const paused = await tripBreaker(db, f.batchId, breaker);
  if (paused) out.push(paused);
  if (f.contactFinished) {
    for (const e of await completeBatches(db, callEvents, [f.batchId]))
      out.push({ batchId: f.batchId, type: e.type, data: e.data, deliveryIds: [] });
  }
  return out;
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
  const deliveryIds = (await recordCallEvent(db, body)) ?? [];
  return { batchId: body.batchId ?? '', type: body.type, data: body.data, deliveryIds };
}

function batchEvent(b: BatchRow, type: 'batch.paused', data: Record<string, unknown>): WebhookBody {
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
