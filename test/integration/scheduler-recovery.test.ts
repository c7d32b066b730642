import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Worker } from 'bullmq';
import { queueNames } from '../../src/core/queues.js';
import { createSlotLeases } from '../../src/core/leases.js';
import { startScheduler, type Scheduler } from '../../src/schedulers/main.js';
import { startDialStub, type DialStub } from '../support/dial-stub.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { dropPrefix } from '../support/redis.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

let rt: TestRuntime;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  rt = await createTestRuntime('sched_recovery');
  await rt.db.updateTable('trunks').set({ cps: 10_000 }).execute();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await rt.teardown();
});

async function start(holdMs: number): Promise<{ scheduler: Scheduler; dialer: DialStub }> {
  const dialer = startDialStub(rt, { holdMs, concurrency: 40 });
  const scheduler = await startScheduler(rt, { tickMs: 200, reconcileMs: 300, requeueGraceMs: 300 });
  closers.push(() => dialer.close(), () => scheduler.close());
  return { scheduler, dialer };
}

async function setup(n: number, limit: number, firstNumber: number) {
  const { org } = await insertOrg(rt.db, { maxConcurrency: limit });
  const { campaign } = await insertCampaign(rt.db, org.id);
  const batch = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: limit });
  const contacts = await insertContacts(rt.db, org.id, batch.id, n, { firstNumber });
  return { org, campaign, batch, contacts };
}

const attemptsOf = (batchId: string) => rt.db.selectFrom('attempts').selectAll().where('batch_id', '=', batchId).execute();

describe('recovery', () => {
  it('loses no contact and calls none twice when Redis loses everything mid-run', async () => {
    const { batch } = await setup(40, 5, 1000);
    const { dialer } = await start(100);
    await waitFor(async () => (await attemptsOf(batch.id)).length >= 10, { what: 'a run under way' });
    // FLUSHALL, confined to this file's key prefix: the test Redis is shared with other files.
    await dropPrefix(rt.prefix);
    await waitFor(
      async () => (await rt.db.selectFrom('contacts').select('status').where('batch_id', '=', batch.id).execute()).every((c) => c.status === 'finished'),
      { what: 'every contact called after the loss', timeoutMs: 20_000 },
    );
    const attempts = await attemptsOf(batch.id);
    expect(attempts).toHaveLength(40);
    expect(new Set(attempts.map((a) => a.contact_id)).size).toBe(40);
    expect([...dialer.dials.values()].every((n) => n === 1)).toBe(true);
    expect(dialer.dials.size).toBe(40);
    // Leases were rebuilt from Postgres before admission resumed, so the limit held throughout.
    expect(dialer.maxBatch.get(batch.id)).toBeLessThanOrEqual(5);
  });

  it('re-enqueues a queued attempt whose dial job is gone', async () => {
    const { org, campaign, batch, contacts } = await setup(1, 5, 2000);
    await rt.db.updateTable('batches').set({ status: 'paused' }).where('id', '=', batch.id).execute();
    const id = randomUUID();
    await sql`insert into attempts (id, org_id, campaign_id, batch_id, contact_id, attempt, status, queued_at)
              values (${id}, ${org.id}, ${campaign.id}, ${batch.id}, ${contacts[0]!.id}, 1, 'queued', now() - interval '1 minute')`.execute(rt.db);
    const { scheduler } = await start(0);
    await scheduler.reconcileNow();
    await waitFor(async () => (await rt.db.selectFrom('attempts').select('status').where('id', '=', id).executeTakeFirst())?.status === 'finished', {
      what: 'the re-enqueued attempt dialled',
    });
  });

  it('retries a dial job that failed before its attempt was claimed', async () => {
    const { org, campaign, batch, contacts } = await setup(1, 5, 5000);
    await rt.db.updateTable('batches').set({ status: 'paused' }).where('id', '=', batch.id).execute();
    const id = randomUUID();
    await sql`insert into attempts (id, org_id, campaign_id, batch_id, contact_id, attempt, status, queued_at)
              values (${id}, ${org.id}, ${campaign.id}, ${batch.id}, ${contacts[0]!.id}, 1, 'queued', now() - interval '1 minute')`.execute(rt.db);
    const failing = new Worker(queueNames.dial, () => Promise.reject(new Error('database unavailable')), { connection: rt.redis, prefix: rt.prefix });
    await rt.queues.dial.add('dial', { attemptId: id }, { jobId: id });
    await waitFor(async () => (await rt.queues.dial.getJob(id))?.isFailed(), { what: 'the job to fail' });
    await failing.close();
    const { scheduler } = await start(0);
    await scheduler.reconcileNow();
    await waitFor(async () => (await rt.db.selectFrom('attempts').select('status').where('id', '=', id).executeTakeFirst())?.status === 'finished', {
      what: 'the retried attempt dialled',
    });
  });

  it('finalises an attempt stuck past ring timeout + max call + margin as failed, once', async () => {
    const { org, campaign, batch, contacts } = await setup(1, 5, 3000);
    await rt.db.updateTable('batches').set({ status: 'paused' }).where('id', '=', batch.id).execute();
    const id = randomUUID();
    await sql`insert into attempts (id, org_id, campaign_id, batch_id, contact_id, attempt, status, queued_at, started_at)
              values (${id}, ${org.id}, ${campaign.id}, ${batch.id}, ${contacts[0]!.id}, 1, 'dialing', now() - interval '2 hours', now() - interval '2 hours')`.execute(rt.db);
    const { scheduler } = await start(0);
    await scheduler.reconcileNow();
    await scheduler.reconcileNow();
    const jobs = await rt.queues.callEvents.getJobs(['waiting', 'delayed', 'prioritized']);
    const failed = jobs.map((j) => j.data).filter((e) => e.type === 'call.failed' && e.attemptId === id);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data).toEqual({ outcome: 'failed', sipStatus: null, reason: 'stuck' });
  });

  it('frees a lease whose attempt already finished', async () => {
    const { org, campaign, batch, contacts } = await setup(1, 5, 4000);
    await rt.db.updateTable('batches').set({ status: 'paused' }).where('id', '=', batch.id).execute();
    const id = randomUUID();
    await sql`insert into attempts (id, org_id, campaign_id, batch_id, contact_id, attempt, status, outcome)
              values (${id}, ${org.id}, ${campaign.id}, ${batch.id}, ${contacts[0]!.id}, 1, 'finished', 'completed')`.execute(rt.db);
    const leases = createSlotLeases(rt.redis, rt.keys);
    await leases.acquire({ orgId: org.id, batchId: batch.id, attemptId: id, limits: { org: 5, batch: 5, system: 100 }, ttlMs: 600_000 });
    const { scheduler } = await start(0);
    await scheduler.reconcileNow();
    expect((await leases.held()).some((h) => h.attemptId === id)).toBe(false);
  });
});
