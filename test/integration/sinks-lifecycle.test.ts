// The call-events worker against Postgres and Redis: a full attempt lifecycle through events,
// retries and finishes on the contact, duplicates and reordering, opt-out, batch completion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/core/db/client.js';
import { nextOpen } from '../../src/core/calling-window.js';
import { createSlotLeases, type SlotLeases } from '../../src/core/leases.js';
import { newCallEvent } from '../../src/core/events.js';
import { startSinks, type Sinks } from '../../src/sinks/main.js';
import { sweep } from '../../src/sinks/maintenance.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { emit, eventsOf, insertAttempt, recordingLeases } from './sinks-fixtures.js';

let rt: TestRuntime;
let sinks: Sinks;
let orgId: string;
let campaignId: string;
let slots: SlotLeases;
let leases: ReturnType<typeof recordingLeases>;

beforeAll(async () => {
  rt = await createTestRuntime('sinks_lifecycle');
  orgId = (await insertOrg(rt.db)).org.id;
  campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
  slots = createSlotLeases(rt.redis, rt.keys);
  leases = recordingLeases(slots);
  // A zone that makes the window maths throw: stands for any event whose processing fails.
  const poisoned: typeof nextOpen = (zones, schedule, from) => {
    if (zones.includes('Etc/GMT+12')) throw new Error('poisoned window');
    return nextOpen(zones, schedule, from);
  };
  sinks = await startSinks(rt, { leases, maintenance: false, nextOpen: poisoned });
});

afterAll(async () => {
  await sinks.close();
  await rt.teardown();
});

async function setup(contacts = 1, attempt = 1) {
  const batch = await insertBatch(rt.db, orgId, campaignId);
  const cs = await insertContacts(rt.db, orgId, batch.id, contacts);
  const attempts = [];
  for (const c of cs)
    attempts.push(await insertAttempt(rt.db, c, campaignId, { attempt, status: 'dialing' }));
  return { batch, contacts: cs, attempts };
}

const finishedAttempt = (db: Db, id: string) =>
  waitFor(
    () =>
      db
        .selectFrom('attempts')
        .selectAll()
        .where('id', '=', id)
        .where('status', '=', 'finished')
        .executeTakeFirst(),
    { what: 'attempt finished' },
  );

const contactEvent = (db: Db, attemptId: string) =>
  waitFor(
    () =>
      db
        .selectFrom('call_events')
        .selectAll()
        .where('attempt_id', '=', attemptId)
        .where('type', 'like', 'contact.%')
        .executeTakeFirst(),
    { what: 'contact event' },
  );

describe('a completed call', () => {
  it('finishes the attempt and the contact, releases the lease and completes the batch', async () => {
    const { batch, contacts, attempts } = await setup();
    const a = attempts[0]!;
    const limits = { org: 10, batch: 5, system: 100 };
    expect(await slots.acquire({ orgId, batchId: batch.id, attemptId: a.id, limits, ttlMs: 60_000 })).toBe(
      true,
    );
    const t0 = new Date(Date.now() - 60_000);
    await emit(rt, 'call.answered', a.id, {}, { occurredAt: t0 });
    await waitFor(async () => (await eventsOf(rt.db, a.id)).length === 1);
    await emit(rt, 'call.amd_result', a.id, {
      amd: { result: 'human', cause: 'greeting', decidedAtMs: 900 },
    });
    await emit(rt, 'call.completed', a.id, {
      outcome: 'completed',
      durationMs: 42_000,
      transcript: [{ role: 'agent', text: 'Hi', atMs: 0 }],
      outcomeData: { confirmed: true },
    });
    const done = await finishedAttempt(rt.db, a.id);
    expect(done).toMatchObject({
      outcome: 'completed',
      duration_ms: 42_000,
      outcome_data: { confirmed: true },
    });
    expect(done.answered_at?.getTime()).toBe(t0.getTime());
    const ev = await contactEvent(rt.db, a.id);
    expect(ev.type).toBe('contact.finished');
    expect(ev.data).toMatchObject({ attempt: 1, maxAttempts: 3, isLastAttempt: true, outcome: 'completed' });
    const contact = await rt.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', contacts[0]!.id)
      .executeTakeFirstOrThrow();
    expect(contact).toMatchObject({
      status: 'finished',
      attempts: 1,
      last_outcome: 'completed',
      next_attempt_at: null,
    });
    await waitFor(() => leases.released.includes(a.id), { what: 'lease released' });
    const active = await slots.active({ orgIds: [orgId], batchIds: [batch.id] });
    expect(active.batch.get(batch.id)).toBe(0);
    const b = await waitFor(() =>
      rt.db
        .selectFrom('batches')
        .selectAll()
        .where('id', '=', batch.id)
        .where('status', '=', 'completed')
        .executeTakeFirst(),
    );
    expect(b.finished_at).not.toBeNull();
    // batch.completed goes through the outbox and the queue, so it is recorded just after the change.
    const batchEvents = await waitFor(async () => {
      const rows = await rt.db
        .selectFrom('call_events')
        .select('type')
        .where('batch_id', '=', batch.id)
        .where('attempt_id', 'is', null)
        .execute();
      return rows.length > 0 ? rows : undefined;
    });
    expect(batchEvents.map((e) => e.type)).toEqual(['batch.completed']);
    const metrics = await rt.registry.metrics();
    expect(metrics).toMatch(/outdial_calls_total\{outcome="completed"\} [1-9]/);
    expect(metrics).toMatch(/outdial_call_duration_seconds_count\{mode="one_way"\} [1-9]/);
  });
});

describe('retries', () => {
  it('schedules a busy contact again ten minutes after the call ended', async () => {
    const { contacts, attempts, batch } = await setup();
    const a = attempts[0]!;
    const endedAt = new Date('2026-01-05T12:00:00Z');
    await emit(
      rt,
      'call.failed',
      a.id,
      { outcome: 'busy', sipStatus: 486, reason: 'Busy Here' },
      { occurredAt: endedAt },
    );
    const done = await finishedAttempt(rt.db, a.id);
    expect(done).toMatchObject({ outcome: 'busy', sip_status: 486, sip_reason: 'Busy Here' });
    const ev = await contactEvent(rt.db, a.id);
    expect(ev.type).toBe('contact.retry_scheduled');
    expect(ev.data).toMatchObject({ attempt: 1, maxAttempts: 3, isLastAttempt: false, nextAttempt: 2 });
    const contact = await rt.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', contacts[0]!.id)
      .executeTakeFirstOrThrow();
    expect(contact.status).toBe('pending');
    expect(contact.next_attempt_at?.toISOString()).toBe('2026-01-05T12:10:00.000Z');
    const b = await rt.db
      .selectFrom('batches')
      .select('status')
      .where('id', '=', batch.id)
      .executeTakeFirstOrThrow();
    expect(b.status).toBe('running');
  });

  it('finishes the contact when its last allowed attempt fails', async () => {
    const { contacts, attempts } = await setup(1, 3);
    const a = attempts[0]!;
    await emit(rt, 'call.failed', a.id, { outcome: 'no_answer', sipStatus: null, reason: 'ring timeout' });
    const ev = await contactEvent(rt.db, a.id);
    expect(ev.type).toBe('contact.finished');
    expect(ev.data).toMatchObject({
      attempt: 3,
      maxAttempts: 3,
      isLastAttempt: true,
      reason: 'max_attempts',
    });
    const contact = await rt.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', contacts[0]!.id)
      .executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ status: 'finished', attempts: 3, last_outcome: 'no_answer' });
  });

  it('does not schedule a retry for a contact cancelled while its call ran', async () => {
    const { contacts, attempts } = await setup();
    await rt.db
      .updateTable('contacts')
      .set({ status: 'cancelled' })
      .where('id', '=', contacts[0]!.id)
      .execute();
    await emit(rt, 'call.failed', attempts[0]!.id, { outcome: 'busy', sipStatus: 486, reason: 'Busy Here' });
    const ev = await contactEvent(rt.db, attempts[0]!.id);
    expect(ev).toMatchObject({
      type: 'contact.finished',
      data: { isLastAttempt: true, reason: 'not_retryable' },
    });
    const contact = await rt.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', contacts[0]!.id)
      .executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ status: 'cancelled', attempts: 1, last_outcome: 'busy' });
  });

  it('honours a callback the callee asked for and adds an opt-out to the DNC list', async () => {
    const { attempts, contacts } = await setup(2);
    const callbackAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 3 * 86_400_000).toISOString();
    await emit(rt, 'call.completed', attempts[0]!.id, { outcome: 'completed', durationMs: 1000, callbackAt });
    await emit(rt, 'call.completed', attempts[1]!.id, {
      outcome: 'completed',
      durationMs: 1000,
      optOut: true,
    });
    const [cb, out] = await Promise.all([
      contactEvent(rt.db, attempts[0]!.id),
      contactEvent(rt.db, attempts[1]!.id),
    ]);
    expect(cb).toMatchObject({
      type: 'contact.retry_scheduled',
      data: { nextAttemptAt: callbackAt, reason: 'callback' },
    });
    expect(out).toMatchObject({ type: 'contact.finished', data: { reason: 'opt_out' } });
    const dnc = await rt.db.selectFrom('dnc').selectAll().where('org_id', '=', orgId).execute();
    expect(dnc.map((d) => d.phone)).toContain(contacts[1]!.phone);
  });
});

describe('failures', () => {
  it('completes, from the maintenance sweep, a batch whose completion check was lost', async () => {
    const batch = await insertBatch(rt.db, orgId, campaignId);
    const [c] = await insertContacts(rt.db, orgId, batch.id, 1);
    const a = await insertAttempt(rt.db, c!, campaignId, { status: 'finished' });
    await rt.db.updateTable('contacts').set({ status: 'finished' }).where('id', '=', c!.id).execute();
    await rt.db
      .updateTable('attempts')
      .set({ outcome: 'completed', ended_at: new Date(Date.now() - 5 * 60_000) })
      .where('id', '=', a.id)
      .execute();
    expect((await sweep(rt, 60_000)).completed).toBeGreaterThanOrEqual(1);
    const b = await rt.db
      .selectFrom('batches')
      .select('status')
      .where('id', '=', batch.id)
      .executeTakeFirstOrThrow();
    expect(b.status).toBe('completed');
    const events = await waitFor(async () => {
      const rows = await rt.db.selectFrom('call_events').select('type').where('batch_id', '=', batch.id).execute();
      return rows.length > 0 ? rows : undefined;
    });
    expect(events.map((e) => e.type)).toEqual(['batch.completed']);
  });

  it('rejects a malformed event for good, with its reason, and applies none of it', async () => {
    const { attempts } = await setup();
    const a = attempts[0]!;
    // Straight onto the queue, as a producer that skipped the schema would: an outcome no call has.
    const bad = newCallEvent('call.completed', a.id, { outcome: 'great', durationMs: 5 });
    await rt.queues.callEvents.add(bad.type, bad, { jobId: bad.id, attempts: 5 });
    await waitFor(async () => (await rt.queues.callEvents.getJobState(bad.id)) === 'failed', {
      what: 'the malformed event failed',
    });
    const job = (await rt.queues.callEvents.getJob(bad.id))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/invalid call event.*outcome/s);
    const attempt = await rt.db.selectFrom('attempts').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(attempt).toMatchObject({ status: 'dialing', outcome: null });
    expect(await eventsOf(rt.db, a.id)).toEqual([]);
  });

  it('fails only the event that cannot be processed, not the ones recorded with it', async () => {
    const batch = await insertBatch(rt.db, orgId, campaignId);
    const [good] = await insertContacts(rt.db, orgId, batch.id, 1);
    const [bad] = await insertContacts(rt.db, orgId, batch.id, 1, {
      timezones: ['Etc/GMT+12'],
      firstNumber: 2000,
    });
    const a = await insertAttempt(rt.db, good!, campaignId, { status: 'dialing' });
    const b = await insertAttempt(rt.db, bad!, campaignId, { status: 'dialing' });
    const data = { outcome: 'busy', sipStatus: 486, reason: 'Busy Here' };
    const events = [newCallEvent('call.failed', a.id, data), newCallEvent('call.failed', b.id, data)];
    // Added together so that they are recorded in one group.
    await rt.queues.callEvents.addBulk(events.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id } })));
    await finishedAttempt(rt.db, a.id);
    const failed = await waitFor(
      async () => (await rt.queues.callEvents.getJob(events[1]!.id))?.failedReason,
    );
    expect(failed).toBe('poisoned window');
    const row = await rt.db
      .selectFrom('attempts')
      .select('status')
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('dialing');
    expect(await eventsOf(rt.db, b.id)).toEqual([]);
  });
});

describe('duplicates and reordering', () => {
  it('stores a redelivered event once and applies it once', async () => {
    const { attempts } = await setup();
    const a = attempts[0]!;
    const ev = await emit(rt, 'call.failed', a.id, { outcome: 'busy', sipStatus: 486, reason: 'busy' });
    // A second job with the same event id (as after a producer retry with another job id).
    await rt.queues.callEvents.add(ev.type, ev, { jobId: `${ev.id}-again` });
    await finishedAttempt(rt.db, a.id);
    await waitFor(async () => (await rt.queues.callEvents.getJob(`${ev.id}-again`))?.finishedOn ?? null);
    const events = await eventsOf(rt.db, a.id);
    expect(events.filter((e) => e.id === ev.id)).toHaveLength(1);
    expect(events.filter((e) => e.type.startsWith('contact.'))).toHaveLength(1);
  });

  it('lets a finished attempt absorb a late call.answered', async () => {
    const { attempts } = await setup();
    const a = attempts[0]!;
    await emit(rt, 'call.completed', a.id, { outcome: 'voicemail_left', durationMs: 20_000 });
    await finishedAttempt(rt.db, a.id);
    const late = await emit(rt, 'call.answered', a.id, {});
    await waitFor(async () => (await eventsOf(rt.db, a.id)).some((e) => e.id === late.id));
    const row = await rt.db
      .selectFrom('attempts')
      .selectAll()
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'finished', outcome: 'voicemail_left', answered_at: null });
  });
});

describe('circuit breaker', () => {
  it('pauses a batch once half of its last ten attempts failed within two minutes', async () => {
    const { batch, attempts } = await setup(12);
    for (const [i, a] of attempts.slice(0, 10).entries()) {
      const failed = i % 2 === 0;
      await emit(rt, 'call.failed', a.id, {
        outcome: failed ? 'failed' : 'busy',
        sipStatus: failed ? 503 : 486,
        reason: failed ? 'Service Unavailable' : 'Busy Here',
      });
    }
    const paused = await waitFor(() =>
      rt.db
        .selectFrom('batches')
        .selectAll()
        .where('id', '=', batch.id)
        .where('status', '=', 'paused')
        .executeTakeFirst(),
    );
    expect(paused.status_reason).toBe('circuit_breaker: 5 of the last 10 attempts failed within 120s');
    const events = await rt.db
      .selectFrom('call_events')
      .selectAll()
      .where('batch_id', '=', batch.id)
      .where('type', '=', 'batch.paused')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ reason: paused.status_reason, failed: 5, total: 10 });
  });

  it('leaves out failures outdial caused itself: stuck attempts and dial jobs expired in the queue are not trunk errors', async () => {
    const { batch, attempts } = await setup(14);
    // 10 of outdial's own failures and 4 trunk failures: 4 of 4 counted, under ten, no trip.
    for (const [i, a] of attempts.entries()) {
      const reason = i < 10 ? (i % 2 === 0 ? 'stuck' : 'waited in the dial queue past the lease margin') : 'Service Unavailable';
      await emit(rt, 'call.failed', a.id, { outcome: 'failed', sipStatus: i < 10 ? null : 503, reason });
    }
    for (const a of attempts) await finishedAttempt(rt.db, a.id);
    const b = await rt.db.selectFrom('batches').select(['status', 'status_reason']).where('id', '=', batch.id).executeTakeFirstOrThrow();
    expect(b).toEqual({ status: 'running', status_reason: null });
  });

  it('keeps a batch running when fewer than ten attempts ended', async () => {
    const { batch, attempts } = await setup(9);
    for (const a of attempts)
      await emit(rt, 'call.failed', a.id, { outcome: 'failed', sipStatus: 503, reason: 'x' });
    for (const a of attempts) await finishedAttempt(rt.db, a.id);
    const b = await rt.db
      .selectFrom('batches')
      .select('status')
      .where('id', '=', batch.id)
      .executeTakeFirstOrThrow();
    expect(b.status).toBe('running');
  });
});
