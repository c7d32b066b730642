// The demo pipeline headless: a few hundred contacts through every role on the Sim adapter,
// then the promises outdial makes, checked against Postgres, the Sim's call log and a receiver
// that verifies every webhook signature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { isOpen } from '../../src/core/calling-window.js';
import { campaignInputSchema } from '../../src/core/campaign.js';
import { SimTelephony, type PlacedCall } from '../../src/dialer/sim/sim-telephony.js';
import { startDemo, type Demo } from '../../src/demo/demo.js';
import { settled } from '../../src/demo/run.js';
import { waitFor } from '../support/wait.js';
import { ADMIN_URL } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/redis.js';

const CONTACTS = 150; // per batch; two batches
let demo: Demo;
let calls: readonly PlacedCall[];

beforeAll(async () => {
  demo = await startDemo({
    contacts: CONTACTS,
    seed: 11,
    timeScale: 0.02,
    port: 0,
    orgLimit: 12,
    batchLimit: 8,
    env: { DATABASE_URL: ADMIN_URL, REDIS_URL: TEST_REDIS_URL },
    logLevel: 'silent',
  });
  await waitFor(async () => settled(await demo.snapshot()), { timeoutMs: 150_000, intervalMs: 250, what: 'the demo to settle' });
  const sim = demo.roles.telephony;
  if (!(sim instanceof SimTelephony)) throw new Error('the demo must run on the Sim adapter');
  calls = sim.calls;
}, 180_000);

afterAll(async () => {
  await demo?.close();
});

describe('the demo pipeline end to end', () => {
  it('leaves every contact finished or waiting for a retry or its window', async () => {
    const s = await demo.snapshot();
    const total = s.batches.reduce((a, b) => a + b.contacts, 0);
    const settledCount = s.batches.reduce(
      (a, b) => a + b.finished + b.waitingRetry + b.waitingWindow + b.suppressed + b.cancelled,
      0,
    );
    expect(total).toBeGreaterThan(CONTACTS * 2 * 0.95);
    expect(settledCount).toBe(total);
    expect(s.batches.every((b) => b.due === 0 && b.active === 0)).toBe(true);
  });

  it('places each attempt at most once and only inside its contact’s window', async () => {
    const ids = calls.map((c) => c.attemptId);
    expect(new Set(ids).size).toBe(ids.length);
    const rows = await sql<{ attempt_id: string; timezones: string[]; config: { schedule: unknown } }>`
      select a.id as attempt_id, c.timezones, cp.config
      from attempts a join contacts c on c.id = a.contact_id join campaigns cp on cp.id = a.campaign_id`.execute(demo.rt.db);
    const byAttempt = new Map(rows.rows.map((r) => [r.attempt_id, r]));
    for (const call of calls) {
      const r = byAttempt.get(call.attemptId)!;
      const schedule = campaignInputSchema.shape.schedule.parse(r.config.schedule);
      expect(isOpen(r.timezones, schedule, new Date(call.startedAt)), call.attemptId).toBe(true);
    }
  });

  it('never has more calls live than the org or a batch allows', async () => {
    const limits = await demo.rt.db.selectFrom('batches').select(['id', 'max_concurrency']).execute();
    const points = calls.flatMap((c) => [
      { t: c.startedAt, d: 1, batch: c.batchId },
      { t: c.endedAt ?? Number.POSITIVE_INFINITY, d: -1, batch: c.batchId },
    ]);
    points.sort((a, b) => a.t - b.t || a.d - b.d); // an end before a start at the same instant
    let org = 0;
    const batch = new Map<string, number>();
    for (const p of points) {
      org += p.d;
      batch.set(p.batch, (batch.get(p.batch) ?? 0) + p.d);
      expect(org).toBeLessThanOrEqual(12);
      expect(batch.get(p.batch)!).toBeLessThanOrEqual(limits.find((l) => l.id === p.batch)!.max_concurrency);
    }
  });

  it('ends attempts with outcomes in the proportions of the Sim’s seeded odds', async () => {
    const first = await sql<{ outcome: string; n: string }>`
      select outcome, count(*) as n from attempts where attempt = 1 and status = 'finished' group by 1`.execute(demo.rt.db);
    const n = first.rows.reduce((a, r) => a + Number(r.n), 0);
    const share = (names: string[]) => first.rows.filter((r) => names.includes(r.outcome)).reduce((a, r) => a + Number(r.n), 0) / n;
    // Default odds: human 0.60, voicemail 0.15, busy 0.07, no answer 0.10, rejected 0.03, invalid 0.02, failed 0.03.
    // Tolerance ≈ 4.5 standard deviations of a binomial share at this n.
    const near = (p: number, expected: number) => expect(Math.abs(p - expected)).toBeLessThan(4.5 * Math.sqrt((expected * (1 - expected)) / n) + 0.005);
    near(share(['completed']), 0.6);
    near(share(['voicemail', 'voicemail_left']), 0.15);
    near(share(['busy']), 0.07);
    near(share(['no_answer']), 0.1);
    near(share(['rejected', 'invalid_number', 'failed']), 0.08);
  });

  it('delivers every call.completed to the receiver with a valid signature, once after dedupe', async () => {
    const completed = await demo.rt.db.selectFrom('call_events').select('id').where('type', '=', 'call.completed').execute();
    expect(completed.length).toBeGreaterThan(0);
    await waitFor(() => completed.every((e) => demo.receiver.events.has(e.id)), { timeoutMs: 20_000, what: 'every call.completed delivered' });
    expect(demo.receiver.stats.invalidSignatures).toBe(0);
    for (const e of completed) expect(demo.receiver.events.get(e.id)!.type).toBe('call.completed');
  });

  it('keeps a complete audit log for each attempt, in order', async () => {
    const rank: Record<string, number> = { 'call.queued': 0, 'call.dialing': 1, 'call.answered': 2, 'call.failed': 2 };
    const events = await demo.rt.db
      .selectFrom('call_events')
      .select(['attempt_id', 'type', 'occurred_at'])
      .where('attempt_id', 'is not', null)
      .orderBy('occurred_at')
      .orderBy('seq')
      .execute();
    const byAttempt = new Map<string, { type: string; at: number }[]>();
    for (const e of events) {
      const list = byAttempt.get(e.attempt_id!) ?? [];
      list.push({ type: e.type, at: e.occurred_at.getTime() });
      byAttempt.set(e.attempt_id!, list);
    }
    const finished = await demo.rt.db.selectFrom('attempts').select(['id', 'outcome']).where('status', '=', 'finished').execute();
    expect(finished.length).toBe(calls.length);
    for (const a of finished) {
      // Same-millisecond events are ordered by their place in the call; a later step observed
      // strictly earlier than an earlier step would still fail the check below.
      const trail = (byAttempt.get(a.id) ?? []).sort((x, y) => x.at - y.at || (rank[x.type] ?? 9) - (rank[y.type] ?? 9));
      const types = trail.map((t) => t.type);
      expect(types, a.id).toContain('call.queued');
      expect(types, a.id).toContain('call.dialing');
      const answered = types.includes('call.answered');
      expect(answered || types.includes('call.failed'), a.id).toBe(true);
      if (answered) expect(types.at(-1) === 'call.completed' || types.includes('call.completed'), a.id).toBe(true);
      // queued ≤ dialing ≤ answered/failed ≤ the rest, by the time each was observed
      const ranked = trail.filter((t) => t.type in rank);
      for (let i = 1; i < ranked.length; i++) expect(rank[ranked[i]!.type]! >= rank[ranked[i - 1]!.type]!, `${a.id}: ${types.join(' → ')}`).toBe(true);
    }
  });
});
