// The org's do-not-call list, keyed by E.164 phone. Adding is idempotent (the reason of the
// first entry is kept); removing reports how many numbers were actually on the list.
import type { Db } from '../../core/db/client.js';
import { keysetPage, textOf, type Cursor } from './keyset.js';

export interface DncEntry {
  phone: string;
  reason: string | null;
  createdAt: Date;
  cursorAt: string;
}

export async function addDnc(
  db: Db,
  orgId: string,
  entries: { phone: string; reason: string | null }[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await db
    .insertInto('dnc')
    .values(entries.map((e) => ({ org_id: orgId, phone: e.phone, reason: e.reason })))
    .onConflict((oc) => oc.columns(['org_id', 'phone']).doNothing())
    .returning('phone')
    .execute();
  return rows.length;
}

export async function removeDnc(db: Db, orgId: string, phones: string[]): Promise<number> {
  if (phones.length === 0) return 0;
  const res = await db
    .deleteFrom('dnc')
    .where('org_id', '=', orgId)
    .where('phone', 'in', phones)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Newest first; `phone` narrows to one number (a lookup). Fetches limit + 1 rows. */
export async function listDnc(
  db: Db,
  orgId: string,
  opts: { limit: number; after: Cursor | null; phone?: string },
): Promise<DncEntry[]> {
  let q = db
    .selectFrom('dnc')
    .select(['phone', 'reason', 'created_at', textOf('created_at').as('cursor_at')])
    .where('org_id', '=', orgId);
  if (opts.phone) q = q.where('phone', '=', opts.phone);
  const rows = await keysetPage(q, {
    time: 'created_at',
    id: 'phone',
    order: 'desc',
    after: opts.after,
    limit: opts.limit,
  }).execute();
  return rows.map((r) => ({
    phone: r.phone,
    reason: r.reason,
    createdAt: r.created_at,
    cursorAt: r.cursor_at,
  }));
}
