// webhook_deliveries transitions, one function each, every update guarded by the delivery's
// current state. `claimDelivery` is the lock: it pushes next_attempt_at past the send timeout,
// so a second job for the same delivery (sweep, replay, redelivery) finds nothing to claim.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';

export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
  url: string;
  secret_enc: string;
  endpoint_live: boolean;
}

/** Claims every delivery among `ids` that is due and unsent; the others are left alone. */
export async function claimDeliveries(
  db: Db,
  ids: readonly string[],
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  if (ids.length === 0) return [];
  const r = await sql<ClaimedDelivery>`
    update webhook_deliveries d
       set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
      from webhook_endpoints e
     where d.id = any(${ids}::uuid[]) and e.id = d.endpoint_id
       and d.status in ('pending', 'failed')
       and d.next_attempt_at <= now() + interval '1 second'
    returning d.id, d.endpoint_id, d.event_id, d.payload, d.attempts, d.created_at, e.url, e.secret_enc,
              (e.enabled and e.deleted_at is null) as endpoint_live`.execute(db);
  return r.rows;
}

export async function markSucceeded(db: Db, ids: readonly { id: string; status: number }[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update webhook_deliveries d
       set status = 'succeeded', delivered_at = now(), last_status_code = v.code, last_error = null
      from (select unnest(${ids.map((i) => i.id)}::uuid[]) as id, unnest(${ids.map((i) => i.status)}::int[]) as code) v
     where d.id = v.id`.execute(db);
}

export interface FailureMark {
  id: string;
  statusCode: number | null;
  error: string;
  /** null = dead-lettered. */
  retryAt: Date | null;
}

export async function markFailed(db: Db, f: FailureMark): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: f.retryAt ? 'failed' : 'dead',
      next_attempt_at: f.retryAt ?? sql<Date>`now()`,
      last_status_code: f.statusCode,
      last_error: f.error.slice(0, 500),
    })
    .where('id', '=', f.id)
    .execute();
}

/** 410 Gone: the receiver asked us to stop; its other pending deliveries die when they come up. */
export async function disableEndpoint(db: Db, endpointId: string, reason: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ enabled: false, disabled_reason: reason })
    .where('id', '=', endpointId)
    .where('enabled', '=', true)
    .execute();
}

/** Deliveries due for a while with no job to send them (lost after a crash): for the sweep. */
export async function orphanedDeliveries(
  db: Db,
  olderThanMs: number,
  limit: number,
): Promise<{ id: string; attempts: number }[]> {
  return db
    .selectFrom('webhook_deliveries')
    .select(['id', 'attempts'])
    .where('status', 'in', ['pending', 'failed'])
    .where('next_attempt_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}
