// Applies a lifecycle action to a batch: the pure table decides (core/batch-lifecycle.ts), a
// row lock makes concurrent actions serialise, and a cancel turns the batch's waiting contacts
// `cancelled` in the same transaction. The event is emitted after commit, so no event ever
// announces a change that was rolled back.
import type { BatchAction } from '../../core/batch-lifecycle.js';
import { batchTransition } from '../../core/batch-lifecycle.js';
import type { Db } from '../../core/db/client.js';
import type { Batch } from '../../core/db/schema.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { BatchStatus, EventType } from '../../core/domain.js';

export interface AppliedTransition {
  batch: Batch;
  from: BatchStatus;
  event: EventType | null;
  cancelledContacts: number;
}

export async function applyBatchAction(
  db: Db,
  orgId: string,
  batchId: string,
  action: BatchAction,
  now: Date = new Date(),
): Promise<AppliedTransition> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('batches')
      .selectAll()
      .where('id', '=', batchId)
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new NotFoundError('batch not found');
    const t = batchTransition(current.status, action, { now, startAt: current.start_at });
    if (!t.ok) throw new ConflictError(t.reason, { status: current.status });
    const batch = await trx
      .updateTable('batches')
      .set({
        status: t.to,
        status_reason: null,
        started_at: t.to === 'running' ? (current.started_at ?? now) : current.started_at,
        finished_at: t.to === 'cancelled' || t.to === 'completed' ? now : current.finished_at,
      })
      .where('id', '=', batchId)
      .returningAll()
      .executeTakeFirstOrThrow();
    let cancelledContacts = 0;
    if (t.to === 'cancelled') {
      const res = await trx
        .updateTable('contacts')
        .set({ status: 'cancelled', next_attempt_at: null, updated_at: now })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      cancelledContacts = Number(res.numUpdatedRows);
    }
    return { batch, from: t.from, event: t.event, cancelledContacts };
  });
}
