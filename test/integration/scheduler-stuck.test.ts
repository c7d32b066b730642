// The reconciler's own events (an attempt stuck past its deadline, a drained batch) against Redis
// and Postgres when their first job does not make it: a job that failed for good must be tried
// again, not silently ignored under its stable id every pass, and an event must survive a Redis
// loss between the status change and its recording.
import { sql } from 'kysely';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stuckEventId } from '../../src/core/ids.js';
import { batchCompletedEventId } from '../../src/core/sql/batches/complete.js';
import { createSlotLeases } from '../../src/core/leases.js';
import { queueNames } from '../../src/core/queues.js';
import { reconcile } from '../../src/schedulers/reconciler.js';
import { startSinks } from '../../src/sinks/main.js';
import { explainContacts } from '../chaos/diagnose.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { dropPrefix, TEST_REDIS_URL } from '../support/redis.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { recordingLeases } from './sinks-fixtures.js';

let rt: TestRuntime;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  rt = await createTestRuntime('sched_stuck');
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await rt.teardown();
});

let nextNumber = 1000;

/** A paused batch (so nothing is admitted) with one contact whose attempt began dialling two hours ago. */
async function stuckAttempt(maxAttempts = 3) {
  const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
  const { campaign } = await insertCampaign(rt.db, org.id, { retry: { maxAttempts } });
  const batch = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: 5 });
  await rt.db.updateTable('batches').set({ status: 'paused' }).where('id', '=', batch.id).execute();
  const [contact] = await insertContacts(rt.db, org.id, batch.id, 1, { firstNumber: (nextNumber += 100) });
  await rt.db.updateTable('contacts').set({ status: 'in_progress' }).where('id', '=', contact!.id).execute();
  const r = await sql<{ id: string }>`
    insert into attempts (org_id, campaign_id, batch_id, contact_id, attempt, status, queued_at, started_at)
    values (${org.id}, ${campaign.id}, ${batch.id}, ${contact!.id}, 1, 'dialing', now() - interval '2 hours', now() - interval '2 hours')
    returning id`.execute(rt.db);
  return { orgId: org.id, batchId: batch.id, attemptId: r.rows[0]!.id, contactId: contact!.id };
}

const statusOf = async (attemptId: string) =>
  (await rt.db.selectFrom('attempts').select('status').where('id', '=', attemptId).executeTakeFirst())?.status;

/** A sinks process that fails every event for good (Postgres away through every retry, say), until closed. */
async function failEveryEvent(until: () => Promise<boolean>) {
  const failing = new Worker(queueNames.callEvents, () => Promise.reject(new UnrecoverableError('database unavailable')), {
    connection: rt.redis,
    prefix: rt.prefix,
  });
  try {
    await waitFor(until, { what: 'the event job failed' });
  } finally {
    await failing.close();
  }
}

async function startRealSinks() {
  const sinks = await startSinks(rt, { leases: recordingLeases(), maintenance: false });
  closers.push(() => sinks.close());
}

describe('reconciler events that did not make it the first time', () => {
  it('fails a stuck attempt whose stuck event failed before the sinks recorded it', async () => {
    const { attemptId } = await stuckAttempt();
    const leases = createSlotLeases(rt.redis, rt.keys);
    const stuckId = stuckEventId(attemptId);
    await reconcile(rt, leases);
    await failEveryEvent(async () => (await rt.queues.callEvents.getJobState(stuckId)) === 'failed');
    await startRealSinks();
    // Every later pass sees the attempt still open past its deadline and must get its event recorded.
    await waitFor(
      async () => {
        await reconcile(rt, leases);
        return (await statusOf(attemptId)) === 'finished';
      },
      { what: 'the stuck attempt failed by a later pass', timeoutMs: 8000, intervalMs: 250 },
    );
    const events = await rt.db
      .selectFrom('call_events')
      .select(['id', 'data'])
      .where('attempt_id', '=', attemptId)
      .where('type', 'like', 'call.%')
      .execute();
    expect(events).toEqual([{ id: stuckId, data: { outcome: 'failed', sipStatus: null, reason: 'stuck' } }]);
    const attempt = await rt.db.selectFrom('attempts').selectAll().where('id', '=', attemptId).executeTakeFirstOrThrow();
    expect(attempt.outcome).toBe('failed');
  });

  it('queues the stuck event with retries, so a passing failure does not fail it for good', async () => {
    const { attemptId } = await stuckAttempt();
    await reconcile(rt, createSlotLeases(rt.redis, rt.keys));
    const job = await rt.queues.callEvents.getJob(stuckEventId(attemptId));
    expect(job?.opts.attempts).toBeGreaterThan(1);
    expect(job?.opts.backoff).toBeDefined();
  });

  it('announces a batch the reconciler completed even when Redis loses the event before the sinks see it', async () => {
    // A drained batch whose sinks' completion check was lost: its only attempt and contact are finished.
    const { attemptId, batchId } = await stuckAttempt();
    await sql`update attempts set status = 'finished', outcome = 'failed', ended_at = now() where id = ${attemptId}`.execute(rt.db);
    await rt.db.updateTable('contacts').set({ status: 'finished' }).where('batch_id', '=', batchId).execute();
    await rt.db.updateTable('batches').set({ status: 'running' }).where('id', '=', batchId).execute();
    const leases = createSlotLeases(rt.redis, rt.keys);
    expect((await reconcile(rt, leases, { outboxResendAfterMs: 60_000 })).completed).toBe(1);
    const completedId = batchCompletedEventId(batchId);
    // Redis loses everything before any sinks process took the batch.completed job.
    await dropPrefix(rt.prefix);
    expect(await rt.queues.callEvents.getJob(completedId)).toBeUndefined();
    await startRealSinks();
    await reconcile(rt, leases, { outboxResendAfterMs: 0 });
    await waitFor(
      async () => (await rt.db.selectFrom('call_events').select('type').where('id', '=', completedId).executeTakeFirst())?.type === 'batch.completed',
      { what: 'batch.completed recorded after the Redis loss' },
    );
  });

  it('leaves the chaos report what it needs to explain such an attempt', async () => {
    const { attemptId, contactId, orgId, batchId } = await stuckAttempt();
    const leases = createSlotLeases(rt.redis, rt.keys);
    await leases.restore({ orgId, batchId, attemptIds: [attemptId], ttlMs: 60_000 });
    await reconcile(rt, leases);
    const stuckId = stuckEventId(attemptId);
    await failEveryEvent(async () => (await rt.queues.callEvents.getJobState(stuckId)) === 'failed');
    const [e] = await explainContacts(rt.db, TEST_REDIS_URL, rt.prefix, [contactId]);
    expect(e?.contact?.status).toBe('in_progress');
    expect(e?.attempts).toEqual([
      expect.objectContaining({ id: attemptId, status: 'dialing', dialJob: 'unknown', leases: [expect.stringContaining(batchId)] }),
    ]);
    expect(e?.outbox).toEqual([expect.objectContaining({ id: stuckId, type: 'call.failed', job: 'failed' })]);
    expect(e?.pendingEventJobs).toEqual([expect.objectContaining({ id: stuckId, state: 'failed', failedReason: 'database unavailable' })]);
    expect(e?.stuckJobs).toEqual({ [attemptId]: 'failed' });
    expect(e?.events).toEqual([]);
  });
});
