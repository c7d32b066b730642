// When a run finds harm, what the report needs to explain it: the delivery rows behind the
// call.completed events the receiver never got, with the state of every BullMQ job that could
// have sent them, and the attempts whose completed call was lost and closed as `failed`.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Db } from '../../src/core/db/client.js';
import { queueNames } from '../../src/core/queues.js';

export interface MissingDelivery {
  eventId: string;
  deliveryId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  /** jobId → BullMQ state ('unknown' = no such job). */
  jobs: Record<string, string>;
}

export async function diagnoseMissingDeliveries(
  db: Db,
  redisUrl: string,
  prefix: string,
  eventIds: readonly string[],
): Promise<MissingDelivery[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['id', 'event_id', 'status', 'attempts', 'next_attempt_at', 'last_error'])
    .where('event_id', 'in', [...eventIds])
    .execute();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const queue = new Queue(queueNames.webhooks, { connection: redis, prefix });
  try {
    const out: MissingDelivery[] = [];
    for (const r of rows) {
      const jobs: Record<string, string> = {};
      for (const id of [r.id, ...Array.from({ length: r.attempts + 1 }, (_, n) => `${r.id}-r${n}`)]) {
        jobs[id] = await queue.getJobState(id);
      }
      out.push({
        eventId: r.event_id,
        deliveryId: r.id,
        status: r.status,
        attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at.toISOString(),
        lastError: r.last_error,
        jobs,
      });
    }
    return out;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

export interface LostResult {
  /** The Sim queued call.completed, yet the attempt ended `failed` (closed as stuck by the reconciler). */
  completedClosedAsFailed: number;
  /** Of those, contacts that were called again afterwards. */
  calledAgain: number;
  examples: string[];
}

export async function diagnoseLostResults(db: Db, simCompleted: readonly string[]): Promise<LostResult> {
  if (simCompleted.length === 0) return { completedClosedAsFailed: 0, calledAgain: 0, examples: [] };
  const r = await sql<{ id: string; again: boolean }>`
    select a.id, exists (select 1 from attempts b where b.contact_id = a.contact_id and b.attempt > a.attempt) as again
      from attempts a
     where a.id = any(${[...simCompleted]}::uuid[]) and a.outcome = 'failed'`.execute(db);
  return {
    completedClosedAsFailed: r.rows.length,
    calledAgain: r.rows.filter((x) => x.again).length,
    examples: r.rows.slice(0, 5).map((x) => x.id),
  };
}

export interface StuckAttempts {
  /** Attempts the reconciler closed as `failed` (reason "stuck"). */
  stuck: number;
  /** Of those, never placed on the Sim at all (the call was lost before the INVITE). */
  neverPlaced: number;
  /** Contacts that ended `finished` without a single placed call. */
  finishedUncalled: number;
}

export async function diagnoseStuck(db: Db, placedAttemptIds: ReadonlySet<string>): Promise<StuckAttempts> {
  const stuck = await db.selectFrom('attempts').select(['id']).where('outcome', '=', 'failed').where('sip_reason', '=', 'stuck').execute();
  const finished = await sql<{ contact_id: string; ids: string[] }>`
    select a.contact_id::text as contact_id, array_agg(a.id::text) as ids
      from attempts a join contacts c on c.id = a.contact_id
     where c.status = 'finished' and c.last_outcome is distinct from 'dnc'
     group by a.contact_id`.execute(db);
  return {
    stuck: stuck.length,
    neverPlaced: stuck.filter((a) => !placedAttemptIds.has(a.id)).length,
    finishedUncalled: finished.rows.filter((r) => r.ids.every((id) => !placedAttemptIds.has(id))).length,
  };
}
