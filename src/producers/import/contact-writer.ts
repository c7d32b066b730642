// The import's writes, all inside the caller's transaction: the draft batch, then contacts in
// chunks. A chunk travels as one array parameter per column, so thousands of rows cost one
// round trip; DNC suppression is decided in the same statement against the org's
// list as it stands inside this transaction.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../core/db/schema.js';
import type { ContactDraft } from './contact-row.js';

export type Trx = Transaction<Database>;

export interface BatchMeta {
  name: string;
  maxConcurrency: number;
  startAt: Date | null;
}

export async function insertDraftBatch(
  trx: Trx,
  campaign: { id: string; orgId: string },
  meta: BatchMeta,
): Promise<string> {
  const row = await trx
    .insertInto('batches')
    .values({
      org_id: campaign.orgId,
      campaign_id: campaign.id,
      name: meta.name,
      status: 'draft',
      max_concurrency: meta.maxConcurrency,
      start_at: meta.startAt,
      status_reason: null,
      started_at: null,
      finished_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface ChunkTarget {
  orgId: string;
  batchId: string;
  /** next_attempt_at of every new contact: the scheduler moves it into the contact's window. */
  importedAt: Date;
}

/**
 * A chunk as one array per column, zipped back into rows by ROWS FROM: Postgres parses text
 * arrays faster than a JSON document of records, and Postgres is the slower end of the import.
 */
export interface ContactColumns {
  phones: string[];
  /** Array literals: zone names hold no quote, backslash or brace, so quoting each is enough. */
  zones: string[];
  sources: string[];
  names: (string | null)[];
  lines: number[];
  /** One JSON array for the chunk: no per-row escaping into an array literal, one parse. */
  variables: string;
}

export function contactColumns(contacts: readonly ContactDraft[]): ContactColumns {
  const cols: ContactColumns = { phones: [], zones: [], sources: [], names: [], lines: [], variables: '' };
  for (const c of contacts) {
    cols.phones.push(c.phone);
    cols.zones.push(`{"${c.zones.join('","')}"}`);
    cols.sources.push(c.source);
    cols.names.push(c.name);
    cols.lines.push(c.line);
  }
  cols.variables = JSON.stringify(contacts.map((c) => c.variables));
  return cols;
}

/** Inserts one chunk of distinct, new numbers; returns how many went in as pending / suppressed. */
export async function insertContactChunk(
  trx: Trx,
  target: ChunkTarget,
  c: ContactColumns,
): Promise<{ accepted: number; suppressed: number }> {
  const { rows } = await sql<{ accepted: number; suppressed: number }>`
    with inserted as (
      insert into contacts (org_id, batch_id, phone, timezones, tz_source, name, variables, line, status, next_attempt_at)
      select ${target.orgId}::uuid, ${target.batchId}::uuid, r.phone, r.zones::text[], r.source, r.name,
             r.variables, r.line,
             case when d.phone is null then 'pending' else 'suppressed' end, ${target.importedAt}::timestamptz
      from rows from (
        unnest(${c.phones}::text[]), unnest(${c.zones}::text[]), unnest(${c.sources}::text[]),
        unnest(${c.names}::text[]), unnest(${c.lines}::integer[]), jsonb_array_elements(${c.variables}::jsonb)
      ) as r(phone, zones, source, name, line, variables)
      left join dnc d on d.org_id = ${target.orgId}::uuid and d.phone = r.phone
      returning status
    )
    select count(*) filter (where status = 'pending')::int as accepted,
           count(*) filter (where status = 'suppressed')::int as suppressed
    from inserted`.execute(trx);
  const counts = rows[0];
  if (!counts) throw new Error('contact insert returned no counts');
  return counts;
}
