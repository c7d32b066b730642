// What the chaos run polls while faults fly: how many contacts are settled, and which stored
// call.completed events the receiver has not seen yet (read incrementally by call_events.seq).
import { sql } from 'kysely';
import type { Db } from '../../src/core/db/client.js';

export interface ContactProgress {
  total: number;
  finished: number;
  /** Pending after at least one attempt, not due for another minute or more. */
  waiting: number;
  inProgress: number;
  /** Pending and due (never called, or a retry that is due). */
  due: number;
  openAttempts: number;
}

export async function contactProgress(db: Db): Promise<ContactProgress> {
  const r = await sql<ContactProgress>`
    select count(*)::int as total,
      count(*) filter (where c.status = 'finished')::int as finished,
      count(*) filter (where c.status = 'pending' and c.next_attempt_at > now() + interval '60 seconds'
        and exists (select 1 from attempts a where a.contact_id = c.id))::int as waiting,
      count(*) filter (where c.status = 'in_progress')::int as "inProgress",
      count(*) filter (where c.status = 'pending' and not (c.next_attempt_at > now() + interval '60 seconds'
        and exists (select 1 from attempts a where a.contact_id = c.id)))::int as due,
      (select count(*) from attempts where status <> 'finished')::int as "openAttempts"
    from contacts c`.execute(db);
  const row = r.rows[0];
  if (!row) throw new Error('no progress row');
  return row;
}

/** True once every contact is finished or waiting for a retry that is not due soon, with no attempt open. */
export function settled(p: ContactProgress): boolean {
  return p.total > 0 && p.finished + p.waiting === p.total && p.openAttempts === 0;
}

export interface CompletedTracker {
  /** Reads new call.completed events; returns how many stored ones the receiver has not seen. */
  poll(db: Db, received: ReadonlyMap<string, unknown>): Promise<number>;
}

export function completedTracker(): CompletedTracker {
  let lastSeq = '0';
  const unseen = new Set<string>();
  return {
    async poll(db, received) {
      const rows = await db
        .selectFrom('call_events')
        .select(['seq', 'id'])
        .where('type', '=', 'call.completed')
        // Re-read a margin behind the newest seq seen: a transaction that committed late may hold a lower seq.
        .where('seq', '>', sql<string>`greatest(0, ${lastSeq}::bigint - 5000)`)
        .orderBy('seq')
        .execute();
      for (const r of rows) {
        unseen.add(r.id);
        lastSeq = r.seq;
      }
      for (const id of unseen) if (received.has(id)) unseen.delete(id);
      return unseen.size;
    },
  };
}
