import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { BatchStatus } from '../../src/core/domain.js';
import { startScheduler, type Scheduler } from '../../src/schedulers/main.js';
import { startDialStub, type DialStub } from '../support/dial-stub.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

let rt: TestRuntime;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  rt = await createTestRuntime('sched_lifecycle');
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
  const scheduler = await startScheduler(rt, { tickMs: 200, reconcileMs: 300 });
  closers.push(() => dialer.close(), () => scheduler.close());
  return { scheduler, dialer };
}

async function setup(n: number, batchLimit: number, firstNumber: number) {
  const { org } = await insertOrg(rt.db, { maxConcurrency: 50 });
  const { campaign } = await insertCampaign(rt.db, org.id);
  const batch = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: batchLimit });
  await insertContacts(rt.db, org.id, batch.id, n, { firstNumber });
  return { org, batch };
}

/** Guarded like the API's lifecycle update: the status changes only from the expected one. */
async function setStatus(batchId: string, from: BatchStatus, to: BatchStatus) {
  const r = await sql`update batches set status = ${to} where id = ${batchId} and status = ${from}`.execute(rt.db);
  expect(Number(r.numAffectedRows)).toBe(1);
}

const attemptCount = async (batchId: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from attempts where batch_id = ${batchId}`.execute(rt.db)).rows[0]?.n);
const openAttempts = async (batchId: string) =>
  Number(
    (await sql<{ n: string }>`select count(*) as n from attempts where batch_id = ${batchId} and status <> 'finished'`.execute(rt.db))
      .rows[0]?.n,
  );
const statuses = async (batchId: string) =>
  (await rt.db.selectFrom('contacts').select('status').where('batch_id', '=', batchId).execute()).map((c) => c.status);

describe('batch lifecycle at admission', () => {
  it('admits nothing while paused, lets calls in flight finish, and carries on after resume', async () => {
    const { batch } = await setup(24, 3, 1000);
    const { scheduler, dialer } = await start(60);
    await waitFor(async () => (await attemptCount(batch.id)) >= 6, { what: 'some admissions' });
    await setStatus(batch.id, 'running', 'paused');
    // The pause waited for any admission holding the batch row, so this count is final.
    const atPause = await attemptCount(batch.id);
    await waitFor(async () => (await openAttempts(batch.id)) === 0, { what: 'calls in flight to finish' });
    expect(await scheduler.kick()).toBe(0);
    expect(await attemptCount(batch.id)).toBe(atPause);
    expect((await statuses(batch.id)).filter((s) => s === 'pending')).toHaveLength(24 - atPause);

    await setStatus(batch.id, 'paused', 'running');
    await waitFor(async () => (await statuses(batch.id)).every((s) => s === 'finished'), { what: 'the rest called' });
    expect(await attemptCount(batch.id)).toBe(24);
    expect([...dialer.contactDials.values()].every((n) => n === 1)).toBe(true);
  });

  it('cancels waiting contacts on cancel while calls in flight finish', async () => {
    const { batch } = await setup(20, 3, 2000);
    const { scheduler } = await start(80);
    await waitFor(async () => (await attemptCount(batch.id)) >= 3, { what: 'some admissions' });
    await setStatus(batch.id, 'running', 'cancelled');
    const atCancel = await attemptCount(batch.id);
    await scheduler.reconcileNow();
    await waitFor(async () => (await openAttempts(batch.id)) === 0, { what: 'calls in flight to finish' });
    expect(await scheduler.kick()).toBe(0);
    const after = await statuses(batch.id);
    expect(after.filter((s) => s === 'finished')).toHaveLength(atCancel);
    expect(after.filter((s) => s === 'cancelled')).toHaveLength(20 - atCancel);
  });

  it('applies a batch limit raised while the batch runs', async () => {
    const { batch } = await setup(40, 2, 3000);
    const { dialer } = await start(60);
    await waitFor(async () => (await attemptCount(batch.id)) >= 6, { what: 'some admissions' });
    expect(dialer.maxBatch.get(batch.id)).toBeLessThanOrEqual(2);
    await rt.db.updateTable('batches').set({ max_concurrency: 6 }).where('id', '=', batch.id).execute();
    await waitFor(async () => (await statuses(batch.id)).every((s) => s === 'finished'), { what: 'all called' });
    expect(dialer.maxBatch.get(batch.id)).toBe(6);
  });
});
