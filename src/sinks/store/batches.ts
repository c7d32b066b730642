// Batch-level consequences of finished attempts: completion and the circuit breaker. Both are
// guarded updates (the allowed `from` statuses of core/batch-lifecycle.ts), so of many
// concurrent checks exactly one wins and emits the batch event.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { RecentOutcomes } from '../circuit-breaker.js';
import { ownFailureReasons } from '../../core/failure-reasons.js';

export interface BatchRow {
  id: string;
  org_id: string;
  campaign_id: string;
}

/** Completes a running or paused batch with no contact left to call and no attempt open. */
export async function completeBatchIfDone(db: Db, batchId: string): Promise<BatchRow | undefined> {
  const r = await sql<BatchRow>`
    update batches b set status = 'completed', finished_at = now(), status_reason = null
     where b.id = ${batchId} and b.status in ('running', 'paused')
       and not exists (select 1 from contacts c where c.batch_id = b.id and c.status in ('pending', 'in_progress'))
       and not exists (select 1 from attempts a where a.batch_id = b.id and a.status <> 'finished')
    returning b.id, b.org_id, b.campaign_id`.execute(db);
  return r.rows[0];
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
