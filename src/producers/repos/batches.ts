// Batch reads for the status and preview endpoints. Counts come from contacts (grouped by
// status and last outcome) and the active figure from attempts not yet finished, so the answer
// is Postgres' view of the batch, the source of truth, not Redis' leases.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { Batch, TzSource } from '../../core/db/schema.js';
import {
  attemptOutcomes,
  contactStatuses,
  type AttemptOutcome,
  type ContactStatus,
} from '../../core/domain.js';

export async function findBatch(db: Db, orgId: string, id: string): Promise<Batch | undefined> {
  return db
    .selectFrom('batches')
    .selectAll()
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
}

export interface BatchCounts {
  total: number;
  status: Record<ContactStatus, number>;
  outcome: Record<AttemptOutcome, number>;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export async function batchCounts(db: Db, batchId: string): Promise<BatchCounts> {
  const rows = await db
    .selectFrom('contacts')
    .select(['status', 'last_outcome', (eb) => eb.fn.countAll<string>().as('n')])
    .where('batch_id', '=', batchId)
    .groupBy(['status', 'last_outcome'])
    .execute();
  const counts: BatchCounts = { total: 0, status: zeros(contactStatuses), outcome: zeros(attemptOutcomes) };
  for (const r of rows) {
    const n = Number(r.n);
    counts.total += n;
    counts.status[r.status] += n;
    if (r.last_outcome) counts.outcome[r.last_outcome] += n;
  }
  return counts;
}

/** Pending contacts held back until a retry is due (after `at`), and when the first one is. */
export async function retryWaits(db: Db, batchId: string, at: Date): Promise<{ contacts: number; nextAt: Date | null }> {
  const row = await db
    .selectFrom('contacts')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('next_attempt_at').as('next')])
    .where('batch_id', '=', batchId)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '>', at)
    .executeTakeFirstOrThrow();
  return { contacts: Number(row.n), nextAt: row.next };
}

export async function activeAttempts(db: Db, batchId: string): Promise<number> {
  const row = await db
    .selectFrom('attempts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('batch_id', '=', batchId)
    .where('status', '<>', 'finished')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Contacts grouped by zone set, tz source and status; `onDnc` marks numbers listed since import. */
export interface ZoneGroup {
  timezones: string[];
  tzSource: TzSource;
  status: ContactStatus;
  onDnc: boolean;
  contacts: number;
}

export async function zoneGroups(db: Db, orgId: string, batchId: string): Promise<ZoneGroup[]> {
  const { rows } = await sql<{
    timezones: string[];
    tz_source: TzSource;
    status: ContactStatus;
    on_dnc: boolean;
    n: string;
  }>`
    select c.timezones, c.tz_source, c.status, (d.phone is not null) as on_dnc, count(*) as n
    from contacts c
    left join dnc d on d.org_id = ${orgId} and d.phone = c.phone
    where c.batch_id = ${batchId}
    group by c.timezones, c.tz_source, c.status, (d.phone is not null)`.execute(db);
  return rows.map((r) => ({
    timezones: r.timezones,
    tzSource: r.tz_source,
    status: r.status,
    onDnc: r.on_dnc,
    contacts: Number(r.n),
  }));
}
