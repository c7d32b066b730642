// When a run finds harm, what the report needs to explain it: the delivery rows behind the
// call.completed events the receiver never got, with the state of every BullMQ job that could
// have sent them, the attempts whose completed call was lost and closed as `failed`, and for each
// lost contact its whole trail (attempts, events, outbox rows, leases, jobs).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Db } from '../../src/core/db/client.js';
import { OWN_FAILURE_REASONS } from '../../src/core/failure-reasons.js';
import { stuckEventId } from '../../src/core/ids.js';
import { createSlotLeases } from '../../src/core/leases.js';
import { queueNames } from '../../src/core/queues.js';
import { keyspace } from '../../src/core/redis.js';

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
  const stuck = await db.selectFrom('attempts').select(['id']).where('outcome', '=', 'failed').where('sip_reason', '=', OWN_FAILURE_REASONS.stuck).execute();
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

export interface ContactExplanation {
  contactId: string;
  contact: { status: string; attempts: number; nextAttemptAt: string | null; lastOutcome: string | null } | null;
  attempts: {
    id: string;
    attempt: number;
    status: string;
    outcome: string | null;
    sipReason: string | null;
    queuedAt: string;
    startedAt: string | null;
    answeredAt: string | null;
    endedAt: string | null;
    /** BullMQ state of its `dial` job (jobId = attempt id; 'unknown' = no such job). */
    dialJob: string;
    /** Slot leases it holds in Redis, with their expiry. */
    leases: string[];
  }[];
  /** Recorded call events, in order: type, time, recorded time, and the BullMQ state of the job under that id. */
  events: { id: string; type: string; occurredAt: string; recordedAt: string; data: unknown; job: string }[];
  /** Outbox rows still waiting for the sinks. */
  outbox: { id: string; type: unknown; createdAt: string; job: string }[];
  /** Event jobs not yet completed (waiting, active, delayed, failed) about its attempts, recorded or not. */
  pendingEventJobs: { id: string; type: string; state: string; attemptsMade: number; failedReason: string | null }[];
  /** State of the reconciler's stuck event job of each open attempt. */
  stuckJobs: Record<string, string>;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * For each contact the run found lost (or still unsettled), what Postgres and Redis say about it:
 * enough to tell which step of its way dropped it, without the run's logs.
 */
export async function explainContacts(
  db: Db,
  redisUrl: string,
  prefix: string,
  contactIds: readonly string[],
): Promise<ContactExplanation[]> {
  if (contactIds.length === 0) return [];
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const dial = new Queue(queueNames.dial, { connection: redis, prefix });
  const events = new Queue(queueNames.callEvents, { connection: redis, prefix });
  try {
    const held = await createSlotLeases(redis, keyspace(prefix)).held();
    const unfinishedJobs = await events.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'failed'], 0, 50_000);
    const out: ContactExplanation[] = [];
    for (const contactId of contactIds) {
      const contact = await db
        .selectFrom('contacts')
        .select(['status', 'attempts', 'next_attempt_at', 'last_outcome'])
        .where('id', '=', contactId)
        .executeTakeFirst();
      const attempts = await db.selectFrom('attempts').selectAll().where('contact_id', '=', contactId).orderBy('attempt').execute();
      const ids = attempts.map((a) => a.id);
      const recorded = await db
        .selectFrom('call_events')
        .select(['id', 'type', 'occurred_at', 'recorded_at', 'data'])
        .where((eb) => eb.or([eb('contact_id', '=', contactId), ...(ids.length ? [eb('attempt_id', 'in', ids)] : [])]))
        .orderBy('seq')
        .execute();
      const outbox = ids.length
        ? await db
            .selectFrom('event_outbox')
            .select(['id', 'event', 'created_at'])
            .where(sql<boolean>`event->>'attemptId' = any(${ids}::text[])`)
            .orderBy('created_at')
            .execute()
        : [];
      const jobState = (q: Queue, id: string) => q.getJobState(id);
      out.push({
        contactId,
        contact: contact
          ? { status: contact.status, attempts: contact.attempts, nextAttemptAt: iso(contact.next_attempt_at), lastOutcome: contact.last_outcome }
          : null,
        attempts: await Promise.all(
          attempts.map(async (a) => ({
            id: a.id,
            attempt: a.attempt,
            status: a.status,
            outcome: a.outcome,
            sipReason: a.sip_reason,
            queuedAt: a.queued_at.toISOString(),
            startedAt: iso(a.started_at),
            answeredAt: iso(a.answered_at),
            endedAt: iso(a.ended_at),
            dialJob: await jobState(dial, a.id),
            leases: held.filter((h) => h.attemptId === a.id).map((h) => `batch ${h.batchId} until ${new Date(h.expiresAt).toISOString()}`),
          })),
        ),
        events: await Promise.all(
          recorded.map(async (e) => ({
            id: e.id,
            type: e.type,
            occurredAt: e.occurred_at.toISOString(),
            recordedAt: e.recorded_at.toISOString(),
            data: e.data,
            job: await jobState(events, e.id),
          })),
        ),
        outbox: await Promise.all(
          outbox.map(async (r) => ({ id: r.id, type: r.event.type, createdAt: r.created_at.toISOString(), job: await jobState(events, r.id) })),
        ),
        pendingEventJobs: await Promise.all(
          unfinishedJobs
            .filter((j) => j?.data && ids.includes((j.data as { attemptId?: string }).attemptId ?? ''))
            .map(async (j) => ({
              id: j.id ?? '',
              type: j.name,
              state: await j.getState(),
              attemptsMade: j.attemptsMade,
              failedReason: j.failedReason ?? null,
            })),
        ),
        stuckJobs: Object.fromEntries(
          await Promise.all(
            attempts
              .filter((a) => a.status !== 'finished')
              .map(async (a) => [a.id, await jobState(events, stuckEventId(a.id))] as const),
          ),
        ),
      });
    }
    return out;
  } finally {
    await Promise.all([dial.close(), events.close()]);
    redis.disconnect();
  }
}
