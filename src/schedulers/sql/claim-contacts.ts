// Claiming due contacts for admission, inside the admission transaction. Batches are locked FOR
// SHARE first, so a pause or cancel either waits for this admission to commit or is seen by it;
// contacts are locked FOR UPDATE SKIP LOCKED, so concurrent schedulers never claim the same row.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';

export interface ClaimedContact {
  id: string;
  batchId: string;
  orgId: string;
  phone: string;
  timezones: string[];
  attempts: number;
  nextAttemptAt: Date;
  dnc: boolean;
}

/** Of the given batches, those still running, locked against a concurrent status change. */
export async function lockRunningBatches(trx: Db, batchIds: readonly string[]): Promise<Set<string>> {
  if (batchIds.length === 0) return new Set();
  const r = await sql<{ id: string }>`
    select id from batches where id = any(${batchIds}::uuid[]) and status = 'running' for share`.execute(trx);
  return new Set(r.rows.map((x) => x.id));
}

interface Row {
  id: string;
  batch_id: string;
  org_id: string;
  phone: string;
  timezones: string[];
  attempts: number;
  next_attempt_at: Date;
  dnc: boolean;
}

/** Up to quota[batch] due contacts per batch, oldest due first, each flagged if on the org's DNC list. */
export async function claimDueContacts(trx: Db, quotas: ReadonlyMap<string, number>): Promise<ClaimedContact[]> {
  const entries = [...quotas].filter(([, n]) => n > 0);
  if (entries.length === 0) return [];
  const r = await sql<Row>`
    select c.id, c.batch_id, c.org_id, c.phone, c.timezones, c.attempts, c.next_attempt_at,
           exists (select 1 from dnc d where d.org_id = c.org_id and d.phone = c.phone) as dnc
      from unnest(${entries.map(([id]) => id)}::uuid[], ${entries.map(([, n]) => n)}::int[]) as q(batch_id, n)
     cross join lateral (
       select x.id, x.batch_id, x.org_id, x.phone, x.timezones, x.attempts, x.next_attempt_at
         from contacts x
        where x.batch_id = q.batch_id and x.status = 'pending' and x.next_attempt_at <= now()
        order by x.next_attempt_at
        limit q.n
        for update skip locked) c`.execute(trx);
  return r.rows.map((x) => ({
    id: x.id,
    batchId: x.batch_id,
    orgId: x.org_id,
    phone: x.phone,
    timezones: x.timezones,
    attempts: x.attempts,
    nextAttemptAt: x.next_attempt_at,
    dnc: x.dnc,
  }));
}
