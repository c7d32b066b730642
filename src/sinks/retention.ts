// Retention: once an attempt is older than its org's retention_days (default 90), its
// transcript is cleared and its recording deleted from the object store. Runs daily from the
// maintenance queue, in chunks, oldest first. A recording is un-linked only after the object
// store confirmed the delete, so a failed delete is retried the next day.
import { sql } from 'kysely';
import type { Db } from '../core/db/client.js';
import type { Logger } from '../core/logger.js';
import { objectOf, type ObjectStore } from './object-store.js';

export interface RetentionResult {
  transcripts: number;
  recordings: number;
  failed: number;
}

interface Expired {
  id: string;
  recording_url: string | null;
}

async function expiredChunk(db: Db, now: Date, limit: number, after: string): Promise<Expired[]> {
  const r = await sql<Expired>`
    select a.id, a.recording_url
      from attempts a join orgs o on o.id = a.org_id
     where (a.transcript is not null or a.recording_url is not null)
       and a.ended_at < ${now}::timestamptz - make_interval(days => o.retention_days)
       and a.id > ${after}::uuid
     order by a.id
     limit ${limit}`.execute(db);
  return r.rows;
}

export async function runRetention(
  db: Db,
  store: ObjectStore | null,
  log: Logger,
  opts: { now?: Date; chunk?: number } = {},
): Promise<RetentionResult> {
  const now = opts.now ?? new Date();
  const result: RetentionResult = { transcripts: 0, recordings: 0, failed: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await expiredChunk(db, now, opts.chunk ?? 500, after);
    if (rows.length === 0) return result;
    after = rows[rows.length - 1]?.id ?? after;
    const cleared: string[] = [];
    for (const row of rows) {
      if (await deleteRecording(store, row, log)) cleared.push(row.id);
      else result.failed++;
    }
    result.recordings += rows.filter((r) => r.recording_url !== null && cleared.includes(r.id)).length;
    result.transcripts += await clearTranscripts(
      db,
      rows.map((r) => r.id),
      cleared,
    );
  }
}

/** True when nothing is left in the object store for this attempt. */
async function deleteRecording(store: ObjectStore | null, row: Expired, log: Logger): Promise<boolean> {
  if (row.recording_url === null) return true;
  if (!store) {
    log.warn({ attemptId: row.id }, 'retention.no_object_store');
    return false;
  }
  const obj = objectOf(row.recording_url, store.bucket);
  if (!obj) {
    log.warn({ attemptId: row.id }, 'retention.recording_not_in_bucket');
    return false;
  }
  try {
    await store.deleteObject(obj.bucket, obj.key);
    return true;
  } catch (err) {
    log.warn({ attemptId: row.id, err: (err as Error).message }, 'retention.delete_failed');
    return false;
  }
}

async function clearTranscripts(db: Db, all: string[], recordingsGone: string[]): Promise<number> {
  const transcripts = await db
    .updateTable('attempts')
    .set({ transcript: null, updated_at: sql<Date>`now()` })
    .where('id', 'in', all)
    .where('transcript', 'is not', null)
    .executeTakeFirst();
  if (recordingsGone.length > 0) {
    await db.updateTable('attempts').set({ recording_url: null }).where('id', 'in', recordingsGone).execute();
  }
  return Number(transcripts.numUpdatedRows);
}
