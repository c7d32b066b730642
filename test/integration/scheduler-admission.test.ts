import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { nextOpen } from '../../src/core/calling-window.js';
import { scheduleSchema } from '../../src/core/campaign.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import type { CallEventJob } from '../../src/core/queues.js';
import { startScheduler, type Scheduler } from '../../src/schedulers/main.js';
import { startDialStub, type DialStub } from '../support/dial-stub.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

let rt: TestRuntime;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  rt = await createTestRuntime('sched_admission');
  // The default trunk's 10 calls/s would pace these tests; CPS has its own test in scheduler-leases.
  await rt.db.updateTable('trunks').set({ cps: 10_000 }).execute();
});
// Each test stops its schedulers and stubs, so the next one's counts are its own.
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await rt.teardown();
});

async function scheduler(runtime: Runtime = rt): Promise<Scheduler> {
  const s = await startScheduler(runtime, { tickMs: 200, reconcileMs: 300, requeueGraceMs: 500 });
  closers.push(() => s.close());
  return s;
}

function stub(holdMs: number): DialStub {
  const s = startDialStub(rt, { holdMs, concurrency: 40 });
  closers.push(() => s.close());
  return s;
}

async function contactsOf(batchId: string) {
  return rt.db.selectFrom('contacts').selectAll().where('batch_id', '=', batchId).execute();
}

async function attemptsOf(batchId: string) {
  return rt.db.selectFrom('attempts').selectAll().where('batch_id', '=', batchId).execute();
}

async function eventsOf(type: string): Promise<CallEventJob[]> {
  const jobs = await rt.queues.callEvents.getJobs(['waiting', 'delayed', 'prioritized']);
  return jobs.map((j) => j.data).filter((e) => e.type === type);
}

const allFinished = (batchId: string) => async () =>
  (await contactsOf(batchId)).every((c) => c.status === 'finished');

describe('admission', () => {
  it('admits every due contact exactly once, never above the org or batch limit', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 4 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const a = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: 3 });
    const b = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: 3 });
    await insertContacts(rt.db, org.id, a.id, 15, { firstNumber: 1000 });
    await insertContacts(rt.db, org.id, b.id, 15, { firstNumber: 2000 });
    const dialer = stub(40);
    await scheduler();
    await waitFor(async () => (await allFinished(a.id)()) && (await allFinished(b.id)()), { what: 'all contacts called' });

    const attempts = [...(await attemptsOf(a.id)), ...(await attemptsOf(b.id))];
    expect(attempts).toHaveLength(30);
    expect(new Set(attempts.map((x) => x.contact_id)).size).toBe(30);
    expect([...dialer.dials.values()].every((n) => n === 1)).toBe(true);
    expect(dialer.maxOrg.get(org.id)).toBe(4);
    expect(dialer.maxBatch.get(a.id)).toBeLessThanOrEqual(3);
    expect(dialer.maxBatch.get(b.id)).toBeLessThanOrEqual(3);
    const queued = (await eventsOf('call.queued')).filter((e) => attempts.some((x) => x.id === e.attemptId));
    expect(queued).toHaveLength(30);
    await waitFor(
      async () => (await rt.db.selectFrom('batches').select('status').where('id', '=', a.id).executeTakeFirstOrThrow()).status === 'completed',
      { what: 'batch completion' },
    );
    const completed = (await eventsOf('batch.completed')).filter((e) => e.batchId === a.id);
    expect(completed).toHaveLength(1);
  });

  it('never admits a contact twice when two schedulers serve the same batch', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 10 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const batch = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: 8 });
    await insertContacts(rt.db, org.id, batch.id, 80, { firstNumber: 3000 });
    const dialer = stub(5);
    const second = createRuntime(rt.config, { log: rt.log });
    closers.push(() => second.close());
    await Promise.all([scheduler(), scheduler(second)]);
    await waitFor(allFinished(batch.id), { what: 'all contacts called', timeoutMs: 20_000 });

    const attempts = await attemptsOf(batch.id);
    expect(attempts).toHaveLength(80);
    expect(new Set(attempts.map((x) => x.contact_id)).size).toBe(80);
    expect([...dialer.contactDials.values()].every((n) => n === 1)).toBe(true);
    expect(dialer.maxBatch.get(batch.id)).toBeLessThanOrEqual(8);
  });

  it('moves a contact whose window is closed to its next opening instead of dialling it', async () => {
    // A one-hour daily window starting three hours from now (UTC): closed now, opens later today or tomorrow.
    const h = (new Date().getUTCHours() + 3) % 24;
    const clock = (x: number) => `${String(x).padStart(2, '0')}:00`;
    const range: [string, string] = [clock(h), h === 23 ? '24:00' : clock(h + 1)];
    const schedule = {
      timezoneFallback: 'UTC',
      weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [range]])),
      quietHours: null,
      allowQuietHours: true,
      blackoutDates: [],
    };
    const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
    const { campaign } = await insertCampaign(rt.db, org.id, { schedule });
    const closed = await insertBatch(rt.db, org.id, campaign.id);
    const [contact] = await insertContacts(rt.db, org.id, closed.id, 1, { firstNumber: 4000, timezones: ['UTC'] });
    const { campaign: open } = await insertCampaign(rt.db, org.id);
    const openBatch = await insertBatch(rt.db, org.id, open.id);
    await insertContacts(rt.db, org.id, openBatch.id, 1, { firstNumber: 4001 });
    stub(0);
    const s = await scheduler();
    await waitFor(allFinished(openBatch.id), { what: 'the open contact called' });
    await s.kick();

    const [after] = await contactsOf(closed.id);
    expect(after?.status).toBe('pending');
    expect(await attemptsOf(closed.id)).toEqual([]);
    const expected = nextOpen(['UTC'], scheduleSchema.parse(schedule), new Date());
    expect(after?.next_attempt_at?.getTime()).toBe(expected?.getTime());
    expect(after?.next_attempt_at?.getTime()).toBeGreaterThan(contact?.next_attempt_at?.getTime() ?? 0);
  });

  it('moves a queue head of closed-window contacts aside and calls the open ones behind it', async () => {
    // Open for two hours from this hour in UTC, hence closed six hours behind (Etc/GMT+6 is UTC−6).
    const h = new Date().getUTCHours();
    const clock = (x: number) => (x >= 24 ? '24:00' : `${String(x).padStart(2, '0')}:00`);
    const ranges: [string, string][] = [[clock(h), clock(Math.min(24, h + 2))]];
    if (h + 2 > 24) ranges.push(['00:00', clock(h + 2 - 24)]); // a run that crosses midnight stays open
    const schedule = {
      timezoneFallback: 'UTC',
      weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, ranges])),
      quietHours: null,
      allowQuietHours: true,
      blackoutDates: [],
    };
    const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
    const { campaign } = await insertCampaign(rt.db, org.id, { schedule });
    const batch = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: 2 });
    const early = new Date(Date.now() - 3_600_000);
    const closed = await insertContacts(rt.db, org.id, batch.id, 30, { firstNumber: 8000, timezones: ['Etc/GMT+6'], dueAt: early });
    const open = await insertContacts(rt.db, org.id, batch.id, 2, { firstNumber: 8100, timezones: ['UTC'] });
    stub(0);
    await scheduler();
    await waitFor(async () => (await contactsOf(batch.id)).filter((c) => c.status === 'finished').length === 2, {
      what: 'the open contacts called',
    });
    const rows = await contactsOf(batch.id);
    expect(rows.filter((c) => open.some((o) => o.id === c.id)).every((c) => c.status === 'finished')).toBe(true);
    const moved = rows.filter((c) => closed.some((x) => x.id === c.id));
    expect(moved.every((c) => c.status === 'pending' && (c.next_attempt_at?.getTime() ?? 0) > Date.now())).toBe(true);
  });

  it('finishes a contact on the org DNC list as dnc at admission, without dialling it', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const batch = await insertBatch(rt.db, org.id, campaign.id);
    const [blocked, fine] = await insertContacts(rt.db, org.id, batch.id, 2, { firstNumber: 5000 });
    await rt.db.insertInto('dnc').values({ org_id: org.id, phone: blocked!.phone, reason: 'test' }).execute();
    const dialer = stub(0);
    await scheduler();
    await waitFor(allFinished(batch.id), { what: 'both contacts settled' });

    const rows = await contactsOf(batch.id);
    expect(rows.find((c) => c.id === blocked!.id)?.last_outcome).toBe('dnc');
    expect(rows.find((c) => c.id === fine!.id)?.last_outcome).toBe('completed');
    expect(dialer.contactDials.has(String(blocked!.id))).toBe(false);
    const finished = (await eventsOf('contact.finished')).filter((e) => e.batchId === batch.id);
    expect(finished.map((e) => e.data)).toMatchObject([{ contactId: String(blocked!.id), outcome: 'dnc', isLastAttempt: true }]);
  });

  it("paces admission to the campaign trunk's calls per second", async () => {
    const cps = 15;
    await rt.db.insertInto('trunks').values({ id: 'slow', cps, sip_trunk_id: null }).execute();
    const { org } = await insertOrg(rt.db, { maxConcurrency: 100 });
    const { campaign } = await insertCampaign(rt.db, org.id, { trunk: 'slow' });
    const batch = await insertBatch(rt.db, org.id, campaign.id, { maxConcurrency: 100 });
    await insertContacts(rt.db, org.id, batch.id, 45, { firstNumber: 7000 });
    stub(0);
    await scheduler();
    await waitFor(allFinished(batch.id), { what: 'all contacts called', timeoutMs: 20_000 });
    const times = (await attemptsOf(batch.id)).map((a) => a.queued_at.getTime()).sort((x, y) => x - y);
    // A token bucket admits at most a burst (one second's worth) plus cps per second in any window.
    for (const [i, t] of times.entries()) {
      const within = times.slice(i).filter((u) => u - t < 1000).length;
      expect(within).toBeLessThanOrEqual(2 * cps + 1);
    }
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(((45 - cps) / cps) * 1000 - 200);
  });

  it('starts a scheduled batch once its start time has passed, and not before', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const due = await insertBatch(rt.db, org.id, campaign.id, { status: 'scheduled' });
    const later = await insertBatch(rt.db, org.id, campaign.id, { status: 'scheduled' });
    await sql`update batches set start_at = now() - interval '1 minute' where id = ${due.id}`.execute(rt.db);
    await sql`update batches set start_at = now() + interval '1 hour' where id = ${later.id}`.execute(rt.db);
    await insertContacts(rt.db, org.id, due.id, 2, { firstNumber: 6000 });
    await insertContacts(rt.db, org.id, later.id, 2, { firstNumber: 6100 });
    stub(0);
    const s = await scheduler();
    await waitFor(allFinished(due.id), { what: 'the due batch called' });
    await s.kick();
    expect((await eventsOf('batch.started')).filter((e) => e.batchId === due.id)).toHaveLength(1);
    expect((await eventsOf('batch.started')).filter((e) => e.batchId === later.id)).toHaveLength(0);
    expect(await attemptsOf(later.id)).toEqual([]);
  });
});
