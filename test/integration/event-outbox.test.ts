// The event outbox against Postgres and Redis: events written before they are queued survive a
// Redis loss (the reconciler queues them again and the sinks record each once), admission writes
// `call.queued` in the transaction that creates the attempts, and the sinks empty the outbox.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitDurably, newCallEvent } from '../../src/core/events.js';
import { resendOutbox } from '../../src/schedulers/reconciler.js';
import { startScheduler } from '../../src/schedulers/main.js';
import { startSinks, type Sinks } from '../../src/sinks/main.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { dropPrefix } from '../support/redis.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { eventsOf, insertAttempt, recordingLeases } from './sinks-fixtures.js';

let rt: TestRuntime;
let orgId: string;
let campaignId: string;

beforeAll(async () => {
  rt = await createTestRuntime('event_outbox');
  await rt.db.updateTable('trunks').set({ cps: 10_000 }).execute();
  orgId = (await insertOrg(rt.db)).org.id;
  campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
});

afterAll(async () => {
  await rt.teardown();
});

const outboxIds = async () =>
  (await rt.db.selectFrom('event_outbox').select('id').execute()).map((r) => r.id);

describe('event outbox', () => {
  it('records, once, the events Redis lost before the sinks saw them', async () => {
    const batch = await insertBatch(rt.db, orgId, campaignId);
    const [contact] = await insertContacts(rt.db, orgId, batch.id, 1, { firstNumber: 100 });
    const attempt = await insertAttempt(rt.db, contact!, campaignId, { status: 'dialing' });
    const events = [
      newCallEvent('call.answered', attempt.id, {}),
      newCallEvent('call.completed', attempt.id, { outcome: 'completed', durationMs: 1200 }),
    ];
    await emitDurably(rt.db, rt.queues.callEvents, events);
    expect(await outboxIds()).toEqual(expect.arrayContaining(events.map((e) => e.id)));

    // Redis empties before any sinks process ran: the queued jobs are gone, the outbox rows are not.
    await dropPrefix(rt.prefix);
    expect(await rt.queues.callEvents.getJob(events[0]!.id)).toBeUndefined();

    const sinks: Sinks = await startSinks(rt, { leases: recordingLeases(), maintenance: false });
    try {
      expect(await resendOutbox(rt, 0)).toBe(2);
      await waitFor(
        async () =>
          (await rt.db.selectFrom('attempts').select('status').where('id', '=', attempt.id).executeTakeFirst())
            ?.status === 'finished',
        { what: 'the attempt finished from the resent events' },
      );
      // The finished attempt drains the batch: its batch.completed goes through the outbox too.
      await waitFor(
        async () =>
          (await outboxIds()).length === 0 &&
          (await rt.db.selectFrom('batches').select('status').where('id', '=', batch.id).executeTakeFirst())?.status === 'completed',
        { what: 'the batch completed and the outbox emptied by the sinks' },
      );
      const stored = await eventsOf(rt.db, attempt.id);
      expect(stored.filter((e) => e.id === events[1]!.id)).toHaveLength(1);
      expect(stored.filter((e) => e.id === events[0]!.id)).toHaveLength(1);
      const row = await rt.db.selectFrom('attempts').selectAll().where('id', '=', attempt.id).executeTakeFirstOrThrow();
      expect(row.outcome).toBe('completed');
      // Nothing left to resend: a second pass queues nothing.
      expect(await resendOutbox(rt, 0)).toBe(0);
    } finally {
      await sinks.close();
    }
  });

  it('drops a row written again after its event was recorded, and an unreadable row', async () => {
    const batch = await insertBatch(rt.db, orgId, campaignId);
    const ev = { ...newCallEvent('batch.paused', null, { orgId }), batchId: batch.id };
    const sinks: Sinks = await startSinks(rt, { leases: recordingLeases(), maintenance: false });
    try {
      await emitDurably(rt.db, rt.queues.callEvents, [ev]);
      await waitFor(async () => (await outboxIds()).length === 0, { what: 'the event recorded' });
    } finally {
      await sinks.close();
    }
    // The same id emitted again (a stable id: a redelivered dial job, both LiveKit close webhooks):
    // its row comes back, but BullMQ ignores the job id it still holds as completed.
    await emitDurably(rt.db, rt.queues.callEvents, [ev]);
    expect(await rt.queues.callEvents.getJobState(ev.id)).toBe('completed');
    await rt.db.insertInto('event_outbox').values({ id: randomUUID(), event: JSON.stringify({ not: 'an event' }) }).execute();
    expect(await outboxIds()).toHaveLength(2);
    expect(await resendOutbox(rt, 0)).toBe(0);
    expect(await outboxIds()).toEqual([]);
    const stored = await rt.db.selectFrom('call_events').select('id').where('id', '=', ev.id).execute();
    expect(stored).toHaveLength(1);
  });

  it('leaves alone an event whose job is still waiting', async () => {
    const ev = { ...newCallEvent('batch.paused', null, { orgId }), batchId: (await insertBatch(rt.db, orgId, campaignId)).id };
    await emitDurably(rt.db, rt.queues.callEvents, [ev]);
    expect(await rt.queues.callEvents.getJobState(ev.id)).toBe('waiting');
    expect(await resendOutbox(rt, 0)).toBe(0);
    expect(await outboxIds()).toContain(ev.id);
    // Not yet old enough: a pass with the default age leaves even a lost one for later.
    await dropPrefix(rt.prefix);
    expect(await resendOutbox(rt)).toBe(0);
    expect(await resendOutbox(rt, 0)).toBe(1);
    await rt.db.deleteFrom('event_outbox').execute();
    await dropPrefix(rt.prefix);
  });

  it('writes call.queued with the attempts it announces', async () => {
    const batch = await insertBatch(rt.db, orgId, campaignId, { maxConcurrency: 3 });
    await insertContacts(rt.db, orgId, batch.id, 3, { firstNumber: 200 });
    // No dialer and no sinks: the admitted attempts stay queued and their events stay in the outbox.
    const scheduler = await startScheduler(rt, { tickMs: 100, reconcileMs: 60_000 });
    try {
      const attempts = await waitFor(
        async () => {
          const rows = await rt.db.selectFrom('attempts').select('id').where('batch_id', '=', batch.id).execute();
          return rows.length === 3 ? rows : null;
        },
        { what: 'three attempts admitted' },
      );
      const queued = await rt.db
        .selectFrom('event_outbox')
        .select(['id', 'event'])
        .where(sql<boolean>`event->>'type' = 'call.queued'`)
        .execute();
      const announced = queued.map((r) => (r.event as { attemptId: string }).attemptId).sort();
      expect(announced).toEqual(expect.arrayContaining(attempts.map((a) => a.id).sort()));
      for (const r of queued) expect(await rt.queues.callEvents.getJobState(r.id)).toBe('waiting');
    } finally {
      await scheduler.close();
    }
  });
});
