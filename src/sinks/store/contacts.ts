// The contact side of a finished attempt: its retry state, and the org's do-not-call list.
// A contact that was cancelled or suppressed meanwhile keeps that status; only its counters move.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { AttemptOutcome, ContactStatus } from '../../core/domain.js';

export interface ContactSettlement {
  contactId: string;
  attempt: number;
  outcome: AttemptOutcome;
  status: Extract<ContactStatus, 'pending' | 'finished' | 'cancelled'>;
  nextAttemptAt: Date | null;
}

/** Returns the contact's status afterwards (a cancelled or suppressed contact keeps its own). */
export async function settleContact(db: Db, s: ContactSettlement): Promise<ContactStatus | undefined> {
  const row = await db
    .updateTable('contacts')
    .set({
      attempts: sql<number>`greatest(attempts, ${s.attempt})`,
      last_outcome: s.outcome,
      status: sql<ContactStatus>`case when status in ('pending', 'in_progress') then ${s.status} else status end`,
      next_attempt_at: sql<Date | null>`case when status in ('pending', 'in_progress') then ${s.nextAttemptAt}::timestamptz else next_attempt_at end`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', s.contactId)
    .returning('status')
    .executeTakeFirst();
  return row?.status;
}

export async function addToDnc(db: Db, orgId: string, phone: string, reason: string): Promise<void> {
  await db
    .insertInto('dnc')
    .values({ org_id: orgId, phone, reason })
    .onConflict((oc) => oc.columns(['org_id', 'phone']).doNothing())
    .execute();
}
