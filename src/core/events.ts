// Building and emitting call events. Every role that observes something about a call sends it
// to the `call-events` queue; sinks are the only writer of call_events and attempt outcomes.
// A role with the database writes the event to the outbox first (`emitDurably`, or `writeOutbox`
// inside its own transaction), so an event Redis loses before the sinks record it is queued
// again by the reconciler. The agent, which has no database, queues only (`emitCallEvent`).
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import type { EventType } from './domain.js';
import { callEventJobSchema, type CallEventJob } from './queues.js';

export function newCallEvent(
  type: EventType,
  attemptId: string | null,
  data: Record<string, unknown> = {},
  occurredAt: Date = new Date(),
): CallEventJob {
  return { id: randomUUID(), type, attemptId, occurredAt: occurredAt.toISOString(), data };
}

/** A job that failed for a passing reason (Postgres restarting) is tried again. */
const eventJobOptions = { attempts: 10, backoff: { type: 'exponential', delay: 500 } } as const satisfies JobsOptions;

/** Queues events with jobId = event id, so a retried emit never duplicates one; `delayMs` holds them back. */
export async function queueCallEvents(
  queue: Queue<CallEventJob>,
  events: readonly CallEventJob[],
  opts: { delayMs?: number } = {},
): Promise<void> {
  if (events.length === 0) return;
  const delay = opts.delayMs ? { delay: opts.delayMs } : {};
  await queue.addBulk(events.map((e) => ({ name: e.type, data: e, opts: { ...eventJobOptions, ...delay, jobId: e.id } })));
}

/** Queues one event (no outbox: for a role without the database). */
export async function emitCallEvent(queue: Queue<CallEventJob>, event: CallEventJob): Promise<void> {
  await queueCallEvents(queue, [callEventJobSchema.parse(event)]);
}

/**
 * Writes events to the outbox; given a transaction, they commit (or not) with the change they
 * report. Each is checked against its type's schema first: a malformed event fails its producer.
 */
export async function writeOutbox(db: Kysely<Database>, events: readonly CallEventJob[]): Promise<void> {
  if (events.length === 0) return;
  const valid = events.map((e) => callEventJobSchema.parse(e));
  await db
    .insertInto('event_outbox')
    .values(valid.map((e) => ({ id: e.id, event: JSON.stringify(e) })))
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Waits between outbox tries while Postgres is away (a restart or failover takes seconds). */
const OUTBOX_RETRY_MS = [250, 500, 1000, 2000, 4000] as const;

/**
 * Outbox first, then the queue: once this returns with `outbox: true`, the event survives a Redis
 * loss, and a failure to queue it is reported (`queued: false`), not thrown: the reconciler sends
 * it from the outbox. If Postgres stays away through every try, the event is queued anyway (as
 * the agent's are) and `outbox: false` says so: a late event beats a lost one. Throws only when
 * the event is in neither.
 */
export async function emitDurably(
  db: Kysely<Database>,
  queue: Queue<CallEventJob>,
  events: readonly CallEventJob[],
  retryMs: readonly number[] = OUTBOX_RETRY_MS,
): Promise<{ outbox: boolean; queued: boolean; error?: Error }> {
  const valid = events.map((e) => callEventJobSchema.parse(e));
  let error: Error | undefined;
  for (let i = 0; i <= retryMs.length; i++) {
    try {
      await writeOutbox(db, valid);
      error = undefined;
      break;
    } catch (err) {
      error = err as Error;
      const wait = retryMs[i];
      if (wait !== undefined) await new Promise((r) => setTimeout(r, wait));
    }
  }
  if (error) {
    await queueCallEvents(queue, valid);
    return { outbox: false, queued: true, error };
  }
  try {
    await queueCallEvents(queue, valid);
    return { outbox: true, queued: true };
  } catch (err) {
    return { outbox: true, queued: false, error: err as Error };
  }
}

/** The webhook body (contract): what downstream systems receive and verify. */
export interface WebhookBody {
  id: string;
  type: EventType;
  occurredAt: string;
  orgId: string;
  campaignId: string | null;
  batchId: string | null;
  contactId: string | null;
  attemptId: string | null;
  data: Record<string, unknown>;
}
