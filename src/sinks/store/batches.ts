// The circuit breaker's reads and its pause: a guarded update, so of many concurrent checks
// exactly one wins and emits the batch event. (Completion is core/sql/batches/complete.ts.)
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { RecentOutcomes } from '../circuit-breaker.js';
import { ownFailureReasons } from '../../core/failure-reasons.js';

export interface BatchRow {
  id: string;
  org_id: string;
  campaign_id: string;
}

/** The batch's attempts ended inside the window, and how many failed, leaving out failures outdial caused itself (core/failure-reasons.ts). */
export async function recentOutcomes(db: Db, batchId: string, windowMs: number): Promise<RecentOutcomes> {
  const r = await sql<{ total: string; failed: string }>`
    select count(*) as total, count(*) filter (where outcome = 'failed') as failed
      from attempts
     where batch_id = ${batchId} and status = 'finished'
       and ended_at > now() - make_interval(secs => ${windowMs / 1000})
       and not (outcome = 'failed' and coalesce(sip_reason, '') = any(${[...ownFailureReasons]}::text[]))`.execute(db);
  const row = r.rows[0];
  return { total: Number(row?.total ?? 0), failed: Number(row?.failed ?? 0) };
}

export async function pauseBatch(db: Db, batchId: string, reason: string): Promise<BatchRow | undefined> {
  return db
    .updateTable('batches')
    .set({ status: 'paused', status_reason: reason })
    .where('id', '=', batchId)
    .where('status', '=', 'running')
    .returning(['id', 'org_id', 'campaign_id'])
    .executeTakeFirst();
}
