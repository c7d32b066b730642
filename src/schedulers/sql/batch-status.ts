// Batch status changes the scheduler makes, each a guarded update so it happens once however many
// schedulers (and sinks) race for it: a scheduled batch whose start has come starts; a running
// batch with nobody left to call completes; a cancelled batch's waiting contacts are cancelled.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';

export interface ChangedBatch {
  id: string;
  orgId: string;
}

/** scheduled → running once start_at has passed (batch-lifecycle `activate`). */
export async function activateDueBatches(db: Db): Promise<ChangedBatch[]> {
  const r = await sql<{ id: string; org_id: string }>`
    update batches set status = 'running', started_at = coalesce(started_at, now())
     where status = 'scheduled' and (start_at is null or start_at <= now())
    returning id, org_id`.execute(db);
  return r.rows.map((x) => ({ id: x.id, orgId: x.org_id }));
}

/** running → completed when no contact is pending or in progress and no attempt is open. */
export async function completeDrainedBatches(db: Db): Promise<ChangedBatch[]> {
  const r = await sql<{ id: string; org_id: string }>`
    update batches b set status = 'completed', finished_at = now(), status_reason = null
     where b.status = 'running'
       and not exists (select 1 from contacts c where c.batch_id = b.id and c.status in ('pending', 'in_progress'))
       and not exists (select 1 from attempts a where a.batch_id = b.id and a.status <> 'finished')
    returning b.id, b.org_id`.execute(db);
  return r.rows.map((x) => ({ id: x.id, orgId: x.org_id }));
}

/** Waiting contacts of cancelled batches become `cancelled` (calls in flight finish normally). */
export async function cancelWaitingContacts(db: Db): Promise<number> {
  const r = await sql`
    update contacts c set status = 'cancelled', next_attempt_at = null, updated_at = now()
      from batches b
     where b.status = 'cancelled' and c.batch_id = b.id and c.status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
