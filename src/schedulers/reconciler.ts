// Repairs the gap between Postgres (the truth) and Redis (work in flight), idempotently, from any
// number of scheduler processes: re-enqueues `queued` attempts whose dial job is gone, restores
// the leases of open attempts after Redis lost them, frees leases whose attempt is finished,
// fails attempts stuck past their deadline (the sinks' retry policy decides what follows), and
// settles batch status (cancelled contacts, completed batches), and queues again the outbox's
// events that the sinks have not recorded after a while (their job was lost with Redis).
import { sql } from 'kysely';
import { callAgeSql, callDeadlineSql, callMarginMs } from '../core/call-deadline.js';
import { newCallEvent, queueCallEvents, writeOutbox } from '../core/events.js';
import { stuckEventId } from '../core/ids.js';
import type { HeldLease, SlotLeases } from '../core/leases.js';
import { callEventJobSchema, requeueJob, type CallEventJob, type RequeueResult } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { completeBatches } from '../core/sql/batches/complete.js';
import { cancelWaitingContacts } from './sql/batch-status.js';
import { OWN_FAILURE_REASONS } from '../core/failure-reasons.js';

/** Longer than any admission transaction: a lease this old with no attempt row was orphaned by a crash. */
export const ORPHAN_LEASE_GRACE_MS = 60_000;

export interface ReconcileResult {
  requeued: number;
  restored: number;
  released: number;
  stuck: number;
  completed: number;
  resent: number;
}

/** An outbox row this old is an event whose job was lost: the sinks record a live one within a second or two. */
export const OUTBOX_RESEND_AFTER_MS = 15_000;
const OUTBOX_PAGE = 1000;

interface OpenAttempt {
  id: string;
  org_id: string;
  batch_id: string;
  status: string;
  age_ms: number;
  deadline_ms: number;
}

async function openAttempts(rt: Runtime): Promise<OpenAttempt[]> {
  const r = await sql<OpenAttempt>`
    select a.id, a.org_id, a.batch_id, a.status,
           ${callAgeSql('a')} as age_ms, ${callDeadlineSql('c', callMarginMs(rt.config))} as deadline_ms
      from attempts a join campaigns c on c.id = a.campaign_id
     where a.status <> 'finished'`.execute(rt.db);
  return r.rows.map((x) => ({ ...x, age_ms: Number(x.age_ms), deadline_ms: Number(x.deadline_ms) }));
}

async function requeueLostJobs(rt: Runtime, open: OpenAttempt[], graceMs: number): Promise<number> {
  let n = 0;
  for (const a of open.filter((x) => x.status === 'queued' && x.age_ms > graceMs)) {
    // A dial job that failed before claiming its attempt never dialled; the claim guard makes a retry safe.
    const add = () => rt.queues.dial.add('dial', { attemptId: a.id }, { jobId: a.id });
    try {
      const r = await requeueJob(rt.queues.dial, a.id, add);
      if (r === 'added' || r === 'retried') n++;
    } catch (err) {
      // One job's trouble must not stop the pass (the next pass tries it again).
      rt.log.warn({ attemptId: a.id, err: (err as Error).message }, 'reconcile.requeue_failed');
    }
  }
  return n;
}

/**
 * `held` must be read before `open`: an attempt that finishes (and frees its slots) between the
 * two reads is then simply absent from `open`, whereas the other order would see it open without
 * a lease and "restore" a slot for a call that is over, holding it until the next pass.
 */
async function syncLeases(rt: Runtime, leases: SlotLeases, held: HeldLease[], open: OpenAttempt[]) {
  const heldIds = new Set(held.map((h) => h.attemptId));
  const openIds = new Set(open.map((a) => a.id));
  let restored = 0;
  const missing = open.filter((a) => !heldIds.has(a.id) && a.age_ms < a.deadline_ms);
  for (const a of missing) {
    restored += await leases.restore({ orgId: a.org_id, batchId: a.batch_id, attemptIds: [a.id], ttlMs: Math.max(1000, a.deadline_ms - a.age_ms) });
  }
  let released = 0;
  const strays = held.filter((x) => !openIds.has(x.attemptId));
  const facts = await strayFacts(rt, strays);
  const now = Date.now();
  for (const h of strays) {
    // A lease with no open attempt is freed when it expired or its attempt is known finished. One
    // whose attempt row does not exist may belong to an admission still committing, so it is kept,
    // unless it was taken longer ago than any admission lasts (the scheduler died between taking
    // the lease and committing): then it would otherwise hold the slot for a whole lease TTL.
    const status = facts.status.get(h.attemptId);
    const takenAt = h.expiresAt - (facts.ttl.get(h.batchId) ?? Infinity);
    const orphaned = status === undefined && takenAt < now - ORPHAN_LEASE_GRACE_MS;
    if (h.expiresAt <= now || status === 'finished' || orphaned) {
      released += await leases.releaseMany({ orgId: h.orgId, batchId: h.batchId, attemptIds: [h.attemptId] });
    }
  }
  return { restored, released };
}

/** The status of each stray lease's attempt (absent: no row) and the lease TTL of each batch, in two queries. */
async function strayFacts(rt: Runtime, strays: HeldLease[]) {
  if (strays.length === 0) return { status: new Map<string, string>(), ttl: new Map<string, number>() };
  const [attempts, batches] = await Promise.all([
    sql<{ id: string; status: string }>`
      select id, status from attempts where id = any(${strays.map((h) => h.attemptId)}::uuid[])`.execute(rt.db),
    sql<{ id: string; ttl_ms: string }>`
      select b.id, ${callDeadlineSql('c', callMarginMs(rt.config))} as ttl_ms
        from batches b join campaigns c on c.id = b.campaign_id
       where b.id = any(${[...new Set(strays.map((h) => h.batchId))]}::uuid[])`.execute(rt.db),
  ]);
  return {
    status: new Map(attempts.rows.map((a) => [a.id, a.status])),
    ttl: new Map(batches.rows.map((b) => [b.id, Number(b.ttl_ms)])),
  };
}

/**
 * Each pass fails every attempt past its deadline again until the sinks record it: the event is in
 * the outbox (so a Redis loss between here and the sinks costs a resend), and its job is put back
 * if Redis lost it or it failed for good. A plain add under the stable id would be ignored for as
 * long as BullMQ keeps the failed job, leaving the attempt open and its batch unfinishable. A
 * `completed` job needs nothing: the sinks record an event and apply it in one transaction, and
 * `call.failed` finishes an attempt from every open status, so the attempt is finished (it was
 * read as open before the sinks committed).
 */
async function failStuck(rt: Runtime, open: OpenAttempt[]): Promise<number> {
  const stuck = open.filter((a) => a.age_ms > a.deadline_ms);
  for (const a of stuck) {
    const event = { ...newCallEvent('call.failed', a.id, { outcome: 'failed', sipStatus: null, reason: OWN_FAILURE_REASONS.stuck }), id: stuckEventId(a.id) };
    try {
      await writeOutbox(rt.db, [event]);
      await requeueEvent(rt, event);
    } catch (err) {
      // One attempt's trouble must not stop the pass (the next pass tries it again).
      rt.log.warn({ attemptId: a.id, err: (err as Error).message }, 'reconcile.stuck_failed');
    }
  }
  return stuck.length;
}

/** Queues an event unless its job is waiting, running or done: an absent job is added (with retries), a failed one retried. */
function requeueEvent(rt: Runtime, event: CallEventJob): Promise<RequeueResult> {
  return requeueJob(rt.queues.callEvents, event.id, () => queueCallEvents(rt.queues.callEvents, [event]));
}

/**
 * Queues again the outbox rows older than `afterMs`, oldest first: an absent job is added (same id),
 * a failed one retried; one still waiting or running is left alone. Safe from any number of
 * schedulers at once: BullMQ keeps one job per id and the sinks record an event id once.
 */
export async function resendOutbox(rt: Runtime, afterMs = OUTBOX_RESEND_AFTER_MS): Promise<number> {
  const rows = await rt.db
    .selectFrom('event_outbox')
    .select(['id', 'event'])
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${afterMs / 1000})`)
    .orderBy('created_at')
    .limit(OUTBOX_PAGE)
    .execute();
  let resent = 0;
  const drop = (id: string) => rt.db.deleteFrom('event_outbox').where('id', '=', id).execute();
  for (const row of rows) {
    try {
      const event = callEventJobSchema.safeParse(row.event);
      if (!event.success) {
        // Written through the schema, so only a hand-edited row gets here: logged whole, then
        // dropped, so it cannot hold a place in every pass's page for ever.
        rt.log.error({ eventId: row.id, event: row.event, err: event.error.message }, 'outbox.invalid_event');
        await drop(row.id);
        continue;
      }
      const r = await requeueEvent(rt, event.data);
      // Completed: handled already, and the row was written again afterwards (an event with a
      // stable id emitted twice, e.g. a redelivered dial job or both LiveKit close webhooks).
      if (r === 'completed') await drop(row.id);
      if (r === 'added' || r === 'retried') resent++;
    } catch (err) {
      // One row's trouble must not stop the pass (the next pass tries it again).
      rt.log.warn({ eventId: row.id, err: (err as Error).message }, 'outbox.resend_failed');
    }
  }
  return resent;
}

export async function reconcile(
  rt: Runtime,
  leases: SlotLeases,
  opts: { requeueGraceMs?: number; outboxResendAfterMs?: number } = {},
): Promise<ReconcileResult> {
  // Read before the snapshot of open attempts: only a pass that began after Redis lost the marker
  // (and with it the leases) may declare the rebuilt lease sets complete.
  const wasReady = await leases.isReady();
  const held = await leases.held();
  const open = await openAttempts(rt);
  const { restored, released } = await syncLeases(rt, leases, held, open);
  if (!wasReady) await leases.markReady();
  const requeued = await requeueLostJobs(rt, open, opts.requeueGraceMs ?? 2000);
  const stuck = await failStuck(rt, open);
  await cancelWaitingContacts(rt.db);
  const completed = (await completeBatches(rt.db, rt.queues.callEvents)).length;
  const resent = await resendOutbox(rt, opts.outboxResendAfterMs);
  return { requeued, restored, released, stuck, completed, resent };
}
