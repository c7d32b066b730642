// A small batch end to end through the dial worker with the Sim adapter (no LiveKit): every
// attempt is placed exactly once, duplicates are skipped, and each call leaves the event trail a
// real call and agent would, ending in the outcome the Sim recorded.
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventType } from '../../src/core/domain.js';
import type { DialJob } from '../../src/core/queues.js';
import type { DialJobResult } from '../../src/dialer/dial-worker.js';
import { startDialer, type Dialer } from '../../src/dialer/main.js';
import { SimTelephony } from '../../src/dialer/sim/sim-telephony.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { pendingCallEvents, queuedAttempts } from './dialer-support.js';

let rt: TestRuntime;
let sim: SimTelephony;
let dialer: Dialer;

beforeAll(async () => {
  rt = await createTestRuntime('dialer_sim');
  sim = new SimTelephony({
    seed: 42,
    durations: { ringMs: [1, 15], amdMs: [0, 5], talkMs: [0, 10], voicemailMs: [0, 5] },
    log: rt.log,
  });
  dialer = await startDialer({
    db: rt.db,
    connection: rt.redis,
    prefix: rt.prefix,
    callEvents: rt.queues.callEvents,
    telephony: sim,
    log: rt.log,
    registry: rt.registry,
    concurrency: 4,
  });
});
afterAll(async () => {
  await dialer.close();
  await rt.teardown();
});

const trails: Record<string, EventType[]> = {
  completed: [
    'call.dialing',
    'call.answered',
    'call.amd_result',
    'call.notification_delivered',
    'call.completed',
  ],
  voicemail: ['call.dialing', 'call.answered', 'call.amd_result', 'call.amd_hangup', 'call.completed'],
  failed: ['call.dialing', 'call.failed'],
};

describe('Sim batch through the dial worker', () => {
  it('places every attempt once and leaves a consistent event trail per call', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => `+1202555${String(1000 + i)}`);
    const { attempts } = await queuedAttempts(rt.db, phones);
    const jobs = [
      ...attempts.map((a) => ({
        name: 'dial',
        data: { attemptId: a.attemptId },
        opts: { jobId: a.attemptId },
      })),
      // Redeliveries of the first ten, as a stalled-job recovery would produce.
      ...attempts.slice(0, 10).map((a) => ({
        name: 'dial',
        data: { attemptId: a.attemptId },
        opts: { jobId: `${a.attemptId}-dup` },
      })),
    ];
    await rt.queues.dial.addBulk(jobs);
    await waitFor(async () => (await rt.queues.dial.getJobCounts('completed')).completed === jobs.length, {
      timeoutMs: 20_000,
      what: 'every dial job to complete',
    });
    await dialer.close(); // also waits for the Sim's agent part of answered calls

    const placed = sim.calls.map((c) => c.attemptId);
    expect(new Set(placed).size).toBe(attempts.length);
    expect(placed).toHaveLength(attempts.length);
    const dups = await Promise.all(
      attempts
        .slice(0, 10)
        .map(
          async (a) =>
            ((await rt.queues.dial.getJob(`${a.attemptId}-dup`)) as Job<DialJob, DialJobResult>).returnvalue,
        ),
    );
    const originals = await Promise.all(
      attempts
        .slice(0, 10)
        .map(
          async (a) =>
            ((await rt.queues.dial.getJob(a.attemptId)) as Job<DialJob, DialJobResult>).returnvalue,
        ),
    );
    // Whichever of the pair ran second found the attempt past queued.
    expect([...dups, ...originals].filter((r) => r.status === 'skipped')).toHaveLength(10);

    const events = await pendingCallEvents(rt.queues.callEvents);
    const outcomes = new Set<string>();
    for (const call of sim.calls) {
      const mine = events.filter((e) => e.attemptId === call.attemptId);
      const outcome = call.outcome ?? 'live';
      outcomes.add(outcome);
      const expected = outcome === 'completed' || outcome === 'voicemail' ? trails[outcome] : trails.failed;
      expect(mine.map((e) => e.type).sort(), `${call.fate} → ${outcome}`).toEqual(
        [...(expected ?? [])].sort(),
      );
      const last = mine.find((e) => e.type === 'call.completed' || e.type === 'call.failed');
      expect(last?.data.outcome).toBe(outcome);
    }
    expect(outcomes.size).toBeGreaterThan(2);

    const statuses = await rt.db.selectFrom('attempts').select('status').execute();
    expect(statuses.every((s) => s.status === 'dialing')).toBe(true);
  });
});
