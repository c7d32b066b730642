// batch-lifecycle `complete` as one guarded statement, for every role that finds a batch with
// nobody left to call: the sinks after a contact's last attempt and in their sweep, the
// scheduler's reconciler. Of any number of racing callers exactly one moves the batch, and its
// `batch.completed` (one id per batch, whoever wins) commits with the change in the outbox.
import type { Queue } from 'bullmq';
import { sql, type RawBuilder } from 'kysely';
import { batchTransition } from '../../batch-lifecycle.js';
import type { Db } from '../../db/client.js';
import { batchStatuses } from '../../domain.js';
import { derivedId } from '../../ids.js';
import type { CallEventJob } from '../../queues.js';
import { commitAnnounced } from './announce.js';

/** The statuses `complete` leaves, read from the lifecycle table rather than restated. */
export const completableStatuses = batchStatuses.filter(
  (s) => batchTransition(s, 'complete', { now: new Date(0), startAt: null }).ok,
);

/** For the batch row aliased `alias`: no contact waits or is in a call, and no attempt is open. */
export function drained(alias: string): RawBuilder<boolean> {
  const id = sql.ref(`${alias}.id`);
  return sql<boolean>`(not exists (select 1 from contacts c where c.batch_id = ${id} and c.status in ('pending', 'in_progress'))
       and not exists (select 1 from attempts a where a.batch_id = ${id} and a.status <> 'finished'))`;
}

export function batchCompletedEventId(batchId: string): string {
  return derivedId(`batch:${batchId}:completed`);
}

function completedEvent(batchId: string, at: Date): CallEventJob {
  return {
    id: batchCompletedEventId(batchId),
    type: 'batch.completed',
    attemptId: null,
    batchId,
    occurredAt: at.toISOString(),
    data: {},
  };
}

/**
 * Completes the drained batches among `batchIds` (every drained batch when omitted); returns their
 * events, not yet in the outbox. Inside a transaction that writes them, or use `completeBatches`.
 */
export async function completeDrainedBatches(db: Db, batchIds?: readonly string[]): Promise<CallEventJob[]> {
  if (batchIds?.length === 0) return [];
  const only = batchIds ? sql`and b.id = any(${batchIds}::uuid[])` : sql``;
  const r = await sql<{ id: string; finished_at: Date }>`
    update batches b set status = 'completed', finished_at = now(), status_reason = null
     where b.status = any(${completableStatuses}::text[]) ${only}
       and ${drained('b')}
    returning b.id, b.finished_at`.execute(db);
  return r.rows.map((b) => completedEvent(b.id, b.finished_at));
}

/** Completes and announces (outbox, then queue) the drained batches among `batchIds` (all when omitted). */
export function completeBatches(
  db: Db,
  queue: Queue<CallEventJob>,
  batchIds?: readonly string[],
): Promise<CallEventJob[]> {
  return commitAnnounced(db, queue, (trx) => completeDrainedBatches(trx, batchIds));
}
