// The `dial` worker over real Postgres and Redis with the LiveKit adapter against the protocol
// double: the queued → dialing claim, duplicate delivery, bad payloads, events and graceful close.
import { EventEmitter } from 'node:events';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unclaimableEventId } from '../../src/core/ids.js';
import { LEASE_MARGIN_MS } from '../../src/core/leases.js';
import type { DialJob } from '../../src/core/queues.js';
import { claimAttemptForDial, unclaimable } from '../../src/dialer/attempt-claim.js';
import type { DialJobResult } from '../../src/dialer/dial-worker.js';
import { LiveKitTelephony } from '../../src/dialer/livekit/livekit-telephony.js';
import { postgresTrunkStore } from '../../src/dialer/livekit/trunk-store.js';
import { closeDialerOnSignals, startDialer, type Dialer } from '../../src/dialer/main.js';
import { dialNumber, startLiveKitDouble, type LiveKitDouble } from '../support/livekit-double/index.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { eventsByAttempt, pendingCallEvents, queuedAttempts } from './dialer-support.js';

let rt: TestRuntime;
let lk: LiveKitDouble;
let dialer: Dialer;

beforeAll(async () => {
  [rt, lk] = await Promise.all([createTestRuntime('dialer_worker'), startLiveKitDouble()]);
  const telephony = new LiveKitTelephony({
    url: lk.url,
    apiKey: lk.apiKey,
    apiSecret: lk.apiSecret,
    trunk: {
      create: { name: 'outdial', address: 'sip.example.test', numbers: ['+12025550100'], transport: 'auto' },
    },
    trunkStore: postgresTrunkStore(rt.db),
    log: rt.log,
  });
  dialer = await startDialer({
    db: rt.db,
    connection: rt.redis,
    prefix: rt.prefix,
    callEvents: rt.queues.callEvents,
    telephony,
    log: rt.log,
    registry: rt.registry,
    concurrency: 8,
  });
});
afterAll(async () => {
  await dialer.close();
  await lk.close();
  await rt.teardown();
});

async function finished(jobId: string): Promise<Job<DialJob, DialJobResult>> {
  return waitFor(
    async () => {
      // State first, then the job: a job read before it completes would carry no returnvalue.
      const state = await rt.queues.dial.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return null;
      return (await rt.queues.dial.getJob(jobId)) as Job<DialJob, DialJobResult> | undefined;
    },
    { what: `dial job ${jobId} to finish` },
  );
}

const sipCallsTo = (roomName: string) =>
  lk.calls('SIP/CreateSIPParticipant').filter((r) => r.body.roomName === roomName).length;

describe('dial worker', () => {
  it('moves the attempt to dialing, dials once and announces call.dialing then call.answered', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    const job = await finished(attemptId);

    expect(job.returnvalue).toEqual({ status: 'answered' });
    const row = await rt.db
      .selectFrom('attempts')
      .selectAll()
      .where('id', '=', attemptId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'dialing', room_name: `call-${attemptId}` });
    expect(row.started_at).toBeInstanceOf(Date);
    expect(sipCallsTo(`call-${attemptId}`)).toBe(1);
    const events = (await pendingCallEvents(rt.queues.callEvents)).filter((e) => e.attemptId === attemptId);
    expect(events.map((e) => e.type).sort()).toEqual(['call.answered', 'call.dialing']);
    expect(await rt.registry.getSingleMetricAsString('outdial_dial_setup_seconds')).toMatch(
      /outdial_dial_setup_seconds_count [1-9]/,
    );

    // A redelivery of the same attempt (a stalled or duplicated job) finds it past queued.
    await rt.queues.dial.add('dial', { attemptId }, { jobId: `${attemptId}-again` });
    expect((await finished(`${attemptId}-again`)).returnvalue).toEqual({
      status: 'skipped',
      reason: 'not_queued',
    });
    expect(sipCallsTo(`call-${attemptId}`)).toBe(1);
    const after = (await pendingCallEvents(rt.queues.callEvents)).filter((e) => e.attemptId === attemptId);
    expect(after).toHaveLength(2);
  });

  it('dials exactly once when duplicate jobs for one attempt run at the same time', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    const ids = ['a', 'b', 'c'].map((s) => `${attemptId}-${s}`);
    await rt.queues.dial.addBulk(
      ids.map((jobId) => ({ name: 'dial', data: { attemptId }, opts: { jobId } })),
    );
    const results = await Promise.all(ids.map(async (id) => (await finished(id)).returnvalue));
    expect(results, JSON.stringify(results)).toHaveLength(3);
    expect(results.filter((r) => r.status === 'answered')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'skipped')).toHaveLength(2);
    expect(
      lk.calls('RoomService/CreateRoom').filter((r) => r.body.name === `call-${attemptId}`),
    ).toHaveLength(1);
    expect(sipCallsTo(`call-${attemptId}`)).toBe(1);
  });

  it('reports a busy callee as call.failed with the SIP status', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0486')]);
    const { attemptId } = attempts[0]!;
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    expect((await finished(attemptId)).returnvalue).toEqual({ status: 'failed', outcome: 'busy' });
    const failed = (await pendingCallEvents(rt.queues.callEvents)).find(
      (e) => e.attemptId === attemptId && e.type === 'call.failed',
    );
    expect(failed?.data).toMatchObject({ outcome: 'busy', sipStatus: 486, reason: 'Busy Here' });
  });

  it('never dials an attempt that is no longer queued', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    await rt.db
      .updateTable('attempts')
      .set({ status: 'finished', outcome: 'cancelled' })
      .where('id', '=', attemptId)
      .execute();
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    expect((await finished(attemptId)).returnvalue).toEqual({ status: 'skipped', reason: 'not_queued' });
    expect(lk.requests.some((r) => JSON.stringify(r.body).includes(attemptId))).toBe(false);
    expect(eventsByAttempt(await pendingCallEvents(rt.queues.callEvents)).get(attemptId)).toBeUndefined();
  });

  it('never dials a queued attempt of a cancelled batch, and finishes it as cancelled', async () => {
    const { attempts, batchId } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    await rt.db.updateTable('batches').set({ status: 'cancelled' }).where('id', '=', batchId).execute();
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    expect((await finished(attemptId)).returnvalue).toEqual({ status: 'skipped', reason: 'not_queued' });
    expect(lk.requests.some((r) => JSON.stringify(r.body).includes(attemptId))).toBe(false);
    const events = (await pendingCallEvents(rt.queues.callEvents)).filter((e) => e.attemptId === attemptId);
    expect(events.map((e) => [e.type, e.data.outcome])).toEqual([['call.failed', 'cancelled']]);
  });

  it('never dials an attempt that waited in the queue past the lease margin, and fails it for the retry policy', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    // Its slot leases were taken at admission and may have expired since: the call would run outside the limits.
    await rt.db
      .updateTable('attempts')
      .set({ queued_at: new Date(Date.now() - LEASE_MARGIN_MS - 1000) })
      .where('id', '=', attemptId)
      .execute();
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    expect((await finished(attemptId)).returnvalue).toEqual({ status: 'skipped', reason: 'not_queued' });
    expect(lk.requests.some((r) => JSON.stringify(r.body).includes(attemptId))).toBe(false);
    const events = (await pendingCallEvents(rt.queues.callEvents)).filter((e) => e.attemptId === attemptId);
    expect(events.map((e) => [e.type, e.data.outcome])).toEqual([['call.failed', 'failed']]);
    // Durable and stable: in the outbox, and the same id however often the job runs.
    const outbox = await rt.db.selectFrom('event_outbox').select('id').where('id', '=', events[0]!.id).execute();
    expect(outbox).toHaveLength(1);
    expect(events[0]!.id).toBe(unclaimableEventId(attemptId));
  });

  it('applies the configured margin (OUTDIAL_LEASE_MARGIN_SECONDS) to the claim', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    await rt.db
      .updateTable('attempts')
      .set({ queued_at: new Date(Date.now() - 30_000) })
      .where('id', '=', attemptId)
      .execute();
    expect(await claimAttemptForDial(rt.db, attemptId, 20_000)).toBeNull();
    expect(await unclaimable(rt.db, attemptId, 20_000)).toBe('expired');
    expect(await unclaimable(rt.db, attemptId, 40_000)).toBeNull();
    expect((await claimAttemptForDial(rt.db, attemptId, 40_000))?.attemptId).toBe(attemptId);
  });

  it('dials an attempt queued just inside the margin', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    await rt.db
      .updateTable('attempts')
      .set({ queued_at: new Date(Date.now() - LEASE_MARGIN_MS + 10_000) })
      .where('id', '=', attemptId)
      .execute();
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    expect((await finished(attemptId)).returnvalue).toEqual({ status: 'answered' });
  });

  it('fails a malformed job once, without retrying it', async () => {
    await rt.queues.dial.add(
      'dial',
      { attemptId: 'not-a-uuid' },
      {
        jobId: 'malformed',
        attempts: 3,
      },
    );
    const job = await finished('malformed');
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/invalid dial job/);
    expect(job.attemptsMade).toBe(1);
  });
});

describe('graceful shutdown', () => {
  it('closes the dialer on SIGTERM, then runs the runtime close', async () => {
    const signals = new EventEmitter();
    const order: string[] = [];
    const fake = { close: () => Promise.resolve(void order.push('dialer')) } as unknown as Dialer;
    const remove = closeDialerOnSignals(
      fake,
      () => Promise.resolve(void order.push('runtime')),
      rt.log,
      signals as unknown as NodeJS.Process,
    );
    signals.emit('SIGTERM', 'SIGTERM');
    await waitFor(() => order.length === 2, { what: 'shutdown to run' });
    expect(order).toEqual(['dialer', 'runtime']);
    remove();
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  // Runs last: it closes the shared dialer.
  it('stops taking jobs but finishes the dial in flight', async () => {
    const { attempts } = await queuedAttempts(rt.db, [
      dialNumber('0001'),
      dialNumber('0001').replace('0001', '9001'),
    ]);
    const [inFlight, waiting] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
    const hold = lk.hold('SIP/CreateSIPParticipant');
    await rt.queues.dial.add('dial', { attemptId: inFlight.attemptId }, { jobId: inFlight.attemptId });
    await hold.arrived;

    let closed = false;
    const closing = dialer.close().then(() => (closed = true));
    await rt.queues.dial.add('dial', { attemptId: waiting.attemptId }, { jobId: waiting.attemptId });
    expect(closed).toBe(false);

    hold.release();
    await closing;
    expect((await finished(inFlight.attemptId)).returnvalue).toEqual({ status: 'answered' });
    // Never taken, or handed back untouched if BullMQ fetched it while closing.
    expect(['waiting', 'delayed']).toContain(
      await (await rt.queues.dial.getJob(waiting.attemptId))?.getState(),
    );
    expect(
      lk.calls('RoomService/CreateRoom').filter((r) => r.body.name === `call-${waiting.attemptId}`),
    ).toEqual([]);
    const untouched = await rt.db
      .selectFrom('attempts')
      .select('status')
      .where('id', '=', waiting.attemptId)
      .executeTakeFirstOrThrow();
    expect(untouched.status).toBe('queued');
  });
});
