// The writes of one admission, all in its transaction: attempts created as `queued` with their
// contacts moved to `in_progress` (the only writer of attempts.status = queued), contacts whose
// window closed moved to their next opening, and contacts on the DNC list finished as `dnc`.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';

export interface NewAttempt {
  id: string;
  orgId: string;
  campaignId: string;
  batchId: string;
  contactId: string;
  /** 1 = first call. */
  attempt: number;
}

export async function createAttempts(trx: Db, attempts: readonly NewAttempt[]): Promise<void> {
  if (attempts.length === 0) return;
  // One statement (a data-modifying CTE): the attempts and their contacts' move commit as one write.
  await sql`
    with created as (
      insert into attempts (id, org_id, campaign_id, batch_id, contact_id, attempt, status)
      select id, org_id, campaign_id, batch_id, contact_id, attempt, 'queued'
        from unnest(${attempts.map((a) => a.id)}::uuid[], ${attempts.map((a) => a.orgId)}::uuid[],
                    ${attempts.map((a) => a.campaignId)}::uuid[], ${attempts.map((a) => a.batchId)}::uuid[],
                    ${attempts.map((a) => a.contactId)}::uuid[], ${attempts.map((a) => a.attempt)}::int[])
          as v(id, org_id, campaign_id, batch_id, contact_id, attempt)
      returning contact_id)
    update contacts set status = 'in_progress', attempts = attempts + 1, updated_at = now()
     where id in (select contact_id from created)`.execute(trx);
}

export async function rescheduleContacts(trx: Db, moves: readonly { contactId: string; at: Date }[]): Promise<void> {
  if (moves.length === 0) return;
  await sql`
    update contacts c set next_attempt_at = v.at, updated_at = now()
      from unnest(${moves.map((m) => m.contactId)}::uuid[], ${moves.map((m) => m.at.toISOString())}::timestamptz[]) as v(id, at)
     where c.id = v.id and c.status = 'pending'`.execute(trx);
}

export async function finishDncContacts(trx: Db, contactIds: readonly string[]): Promise<void> {
  if (contactIds.length === 0) return;
  await sql`
    update contacts set status = 'finished', last_outcome = 'dnc', next_attempt_at = null, updated_at = now()
     where id = any(${contactIds}::uuid[]) and status = 'pending'`.execute(trx);
}
