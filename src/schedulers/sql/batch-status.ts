// Contact changes that follow a batch's status, each a guarded update so it happens once however
// many schedulers race for it. (Batch transitions themselves live in core/sql/batches.)
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';

/** Waiting contacts of cancelled batches become `cancelled` (calls in flight finish normally). */
export async function cancelWaitingContacts(db: Db): Promise<number> {
  const r = await sql`
    update contacts c set status = 'cancelled', next_attempt_at = null, updated_at = now()
      from batches b
     where b.status = 'cancelled' and c.batch_id = b.id and c.status = 'pending'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
