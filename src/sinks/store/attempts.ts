// Reads and writes of attempts for the call-events worker. The attempt row is locked for the
// whole transaction, so events of one attempt apply one at a time whatever the concurrency.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { AttemptOutcome, BatchStatus, ContactStatus } from '../../core/domain.js';
import type { Attempt, AttemptUpdate } from '../../core/db/schema.js';

export interface LockedAttempt extends Attempt {
  phone: string;
  timezones: string[];
  contact_status: ContactStatus;
  campaign_config: Record<string, unknown>;
  batch_status: BatchStatus;
}

/** Locks the attempts in id order (so concurrent groups cannot deadlock) and reads what events need. */
export async function lockAttempts(
  db: Db,
  attemptIds: readonly string[],
): Promise<Map<string, LockedAttempt>> {
  if (attemptIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('attempts as a')
    .innerJoin('contacts as c', 'c.id', 'a.contact_id')
    .innerJoin('campaigns as cp', 'cp.id', 'a.campaign_id')
    .innerJoin('batches as b', 'b.id', 'a.batch_id')
    .selectAll('a')
    .select([
      'c.phone',
      'c.timezones',
      'c.status as contact_status',
      'cp.config as campaign_config',
      'b.status as batch_status',
    ])
    .where('a.id', 'in', [...attemptIds])
    .orderBy('a.id')
    .forUpdate('a')
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export async function updateAttempt(db: Db, attemptId: string, update: AttemptUpdate): Promise<void> {
  if (Object.keys(update).length === 0) return;
  await db
    .updateTable('attempts')
    .set({ ...update, updated_at: sql<Date>`now()` })
    .where('id', '=', attemptId)
    .execute();
}

/** Outcomes of the contact's attempts before `attempt`, most recent first. */
export async function previousOutcomes(
  db: Db,
  contactId: string,
  attempt: number,
): Promise<(AttemptOutcome | null)[]> {
  const rows = await db
    .selectFrom('attempts')
    .select('outcome')
    .where('contact_id', '=', contactId)
    .where('attempt', '<', attempt)
    .orderBy('attempt', 'desc')
    .execute();
  return rows.map((r) => r.outcome);
}

/** Scope of an event that has no attempt: its batch gives the org and campaign. */
export async function batchScope(
  db: Db,
  batchId: string,
): Promise<{ org_id: string; campaign_id: string } | undefined> {
  return db
    .selectFrom('batches')
    .select(['org_id', 'campaign_id'])
    .where('id', '=', batchId)
    .executeTakeFirst();
}
