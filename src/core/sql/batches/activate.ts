// batch-lifecycle `activate` as one guarded statement: a scheduled batch whose start has come
// starts, once, however many schedulers race for it, announced by `batch.started` in the outbox.
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import { batchTransition } from '../../batch-lifecycle.js';
import type { Db } from '../../db/client.js';
import { batchStatuses } from '../../domain.js';
import { newCallEvent } from '../../events.js';
import type { CallEventJob } from '../../queues.js';
import { commitAnnounced } from './announce.js';

/** The statuses `activate` leaves once startAt has passed (the lifecycle table; startAt is checked in SQL). */
const activatableStatuses = batchStatuses.filter(
  (s) => batchTransition(s, 'activate', { now: new Date(0), startAt: null }).ok,
);

/** Starts every batch whose start has come and announces each (outbox, then queue); returns the events. */
export function activateDueBatches(db: Db, queue: Queue<CallEventJob>): Promise<CallEventJob[]> {
  return commitAnnounced(db, queue, async (trx) => {
    const r = await sql<{ id: string }>`
      update batches set status = 'running', started_at = coalesce(started_at, now())
       where status = any(${activatableStatuses}::text[]) and (start_at is null or start_at <= now())
      returning id`.execute(trx);
    // A batch can start again after a pause to a later startAt, so each start gets its own id.
    return r.rows.map((b) => ({ ...newCallEvent('batch.started', null), batchId: b.id }));
  });
}
