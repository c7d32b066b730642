// The import's writes, all inside the caller's transaction: the draft batch, then contacts in
// chunks. A chunk travels as one JSON parameter expanded by json_to_recordset, so a thousand
// rows cost one round trip; DNC suppression is decided in the same statement against the org's
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

/** The chunk as JSON: ContactDraft's own keys are the record columns json_to_recordset reads. */
export function chunkJson(contacts: readonly ContactDraft[]): string {
  return JSON.stringify(contacts);
}

/** Inserts one chunk of distinct, new numbers; returns how many went in as pending / suppressed. */
export async function insertContactChunk(
  trx: Trx,
  target: ChunkTarget,
  json: string,
): Promise<{ accepted: number; suppressed: number }> {
  const { rows } = await sql<{ accepted: number; suppressed: number }>`
    with inserted as (
      insert into contacts (org_id, batch_id, phone, timezones, tz_source, name, variables, line, status, next_attempt_at)
      select ${target.orgId}::uuid, ${target.batchId}::uuid, r.phone, r.zones, r.source, r.name, r.variables, r.line,
             case when d.phone is null then 'pending' else 'suppressed' end, ${target.importedAt}::timestamptz
      from json_to_recordset(${json}::json)
        as r(line integer, phone text, zones text[], source text, name text, variables jsonb)
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
