// Batch status, preview, lifecycle and attempts listing, over batches seeded directly (the
// import path has its own tests).
import type { Job } from 'bullmq';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEventJob } from '../../src/core/queues.js';
import { createApp } from '../../src/producers/app.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';
import { alwaysOpenSchedule, insertBatch, insertCampaign, insertContacts } from '../support/fixtures.js';

let h: ApiHarness;
let org: { id: string; apiKey: string; auth: string };
let campaignId: string;

beforeAll(async () => {
  h = await createApiHarness('api_batches');
  org = await h.createOrg('Org A', 7);
  campaignId = (await insertCampaign(h.rt.db, org.id)).campaign.id;
});
afterAll(async () => {
  await h.teardown();
});

async function batchEvents(batchId: string): Promise<CallEventJob[]> {
  const jobs: Job<CallEventJob>[] = await h.rt.queues.callEvents.getJobs([
    'waiting',
    'delayed',
    'prioritized',
  ]);
  // The waiting list hands back the newest job first.
  return jobs
    .map((j) => j.data)
    .filter((e) => e.batchId === batchId)
    .reverse();
}

describe('GET /v1/batches/:id', () => {
  it('reports counts by contact status and last outcome, calls in flight and both limits', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId, { maxConcurrency: 4 });
    const contacts = await insertContacts(h.rt.db, org.id, batch.id, 5);
    const [c0, c1, c2] = contacts;
    // A busy contact is retried later: the status says how many wait for that and until when.
    const retryAt = new Date(Date.now() + 3_600_000);
    await h.rt.db
      .updateTable('contacts')
      .set({ status: 'finished', last_outcome: 'completed' })
      .where('id', '=', c0!.id)
      .execute();
    await h.rt.db
      .updateTable('contacts')
      .set({ status: 'pending', last_outcome: 'busy', next_attempt_at: retryAt })
      .where('id', '=', c1!.id)
      .execute();
    await h.rt.db.updateTable('contacts').set({ status: 'in_progress' }).where('id', '=', c2!.id).execute();
    await h.rt.db
      .insertInto('attempts')
      .values({
        org_id: org.id,
        campaign_id: campaignId,
        batch_id: batch.id,
        contact_id: c2!.id,
        attempt: 1,
        status: 'dialing',
      })
      .execute();
    const res = await h.http.get(`/v1/batches/${batch.id}`).set('authorization', org.auth).expect(200);
    expect(res.body).toMatchObject({
      id: batch.id,
      campaignId,
      status: 'running',
      maxConcurrency: 4,
      active: 1,
      limits: { org: 7, batch: 4 },
      waitingForRetry: { contacts: 1, nextAt: retryAt.toISOString() },
      counts: {
        total: 5,
        status: { pending: 3, in_progress: 1, finished: 1, cancelled: 0, suppressed: 0 },
        outcome: { completed: 1, busy: 1, no_answer: 0 },
      },
    });
  });
});

describe('GET /v1/batches/:id/preview', () => {
  it('splits contacts into callable now, waiting for a window and suppressed, per tz source', async () => {
    // Open only 09:00–17:00 local; at 12:00 UTC New York (07:00) is closed, London (12:00) open.
    const schedule = {
      ...alwaysOpenSchedule,
      weekly: Object.fromEntries(
        ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['09:00', '17:00']]]),
      ),
    };
    const { campaign } = await insertCampaign(h.rt.db, org.id, { schedule });
    const batch = await insertBatch(h.rt.db, org.id, campaign.id, { status: 'draft' });
    await insertContacts(h.rt.db, org.id, batch.id, 3, { timezones: ['Europe/London'], firstNumber: 1000 });
    await insertContacts(h.rt.db, org.id, batch.id, 2, {
      timezones: ['America/New_York'],
      firstNumber: 2000,
    });
    await insertContacts(h.rt.db, org.id, batch.id, 1, {
      timezones: ['America/New_York', 'Europe/London'],
      firstNumber: 3000,
    });
    await h.rt.db
      .updateTable('contacts')
      .set({ tz_source: 'country_fallback' })
      .where('phone', '=', '+12025552001')
      .execute();
    await h.rt.db
      .updateTable('contacts')
      .set({ status: 'suppressed' })
      .where('phone', '=', '+12025551002')
      .execute();
    await h.rt.db
      .insertInto('dnc')
      .values({ org_id: org.id, phone: '+12025551001', reason: 'asked' })
      .execute();

    const preview = createApiHarnessClock(new Date('2026-03-04T12:00:00Z'));
    const res = await preview.get(batch.id);
    expect(res).toMatchObject({
      contacts: 6,
      callableNow: 1,
      waitingForWindow: 3,
      suppressed: 2,
      other: 0,
      byTzSource: {
        explicit: { contacts: 5, callableNow: 1, waitingForWindow: 2, suppressed: 2 },
        country_fallback: { contacts: 1, callableNow: 0, waitingForWindow: 1, suppressed: 0 },
      },
    });
    const sets = (
      res as {
        zoneSets: {
          timezones: string[];
          tzSource: string;
          contacts: number;
          openNow: boolean;
          nextOpenAt: string;
        }[];
      }
    ).zoneSets;
    expect(sets).toContainEqual({
      timezones: ['Europe/London'],
      tzSource: 'explicit',
      contacts: 1,
      openNow: true,
      nextOpenAt: '2026-03-04T12:00:00.000Z',
    });
    expect(sets).toContainEqual({
      timezones: ['America/New_York'],
      tzSource: 'country_fallback',
      contacts: 1,
      openNow: false,
      nextOpenAt: '2026-03-04T14:00:00.000Z',
    });
    expect(sets.find((s) => s.timezones.length === 2)?.nextOpenAt).toBe('2026-03-04T14:00:00.000Z');
  });
});

/** A second app over the same runtime with a fixed clock. */
function createApiHarnessClock(at: Date) {
  const app = createApp(h.rt, { now: () => at });
  return {
    async get(batchId: string): Promise<unknown> {
      const res = await supertest(app)
        .get(`/v1/batches/${batchId}/preview`)
        .set('authorization', org.auth)
        .expect(200);
      return res.body;
    },
  };
}

describe('batch lifecycle', () => {
  it('starts a draft batch running and announces batch.started through call-events', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId, { status: 'draft' });
    const res = await h.http.post(`/v1/batches/${batch.id}/start`).set('authorization', org.auth).expect(200);
    expect(res.body).toEqual({ id: batch.id, status: 'running' });
    const row = await h.rt.db
      .selectFrom('batches')
      .selectAll()
      .where('id', '=', batch.id)
      .executeTakeFirstOrThrow();
    expect(row.started_at).toBeInstanceOf(Date);
    const events = await batchEvents(batch.id);
    expect(events.map((e) => [e.type, e.attemptId])).toEqual([['batch.started', null]]);
    expect(events[0]?.data).toEqual({ orgId: org.id, from: 'draft', status: 'running', action: 'start' });
  });

  it('schedules a batch whose startAt is in the future, without announcing a start yet', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId, { status: 'draft' });
    await h.rt.db
      .updateTable('batches')
      .set({ start_at: new Date(Date.now() + 3_600_000) })
      .where('id', '=', batch.id)
      .execute();
    const res = await h.http.post(`/v1/batches/${batch.id}/start`).set('authorization', org.auth).expect(200);
    expect(res.body).toEqual({ id: batch.id, status: 'scheduled' });
    expect(await batchEvents(batch.id)).toEqual([]);
  });

  it('pauses and resumes, announcing each, and refuses moves the table forbids with 409', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId, { status: 'running' });
    const resumeRunning = await h.http.post(`/v1/batches/${batch.id}/resume`).set('authorization', org.auth);
    expect(resumeRunning.status).toBe(409);
    expect(resumeRunning.body).toEqual({
      error: {
        code: 'conflict',
        message: 'cannot resume a batch that is running',
        details: { status: 'running' },
      },
    });
    await h.http
      .post(`/v1/batches/${batch.id}/pause`)
      .set('authorization', org.auth)
      .expect(200, { id: batch.id, status: 'paused' });
    await h.http
      .post(`/v1/batches/${batch.id}/resume`)
      .set('authorization', org.auth)
      .expect(200, { id: batch.id, status: 'running' });
    expect((await batchEvents(batch.id)).map((e) => e.type)).toEqual(['batch.paused', 'batch.resumed']);
  });

  it('cancels a batch, turning its waiting contacts cancelled and leaving calls in flight alone', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId, { status: 'running' });
    const contacts = await insertContacts(h.rt.db, org.id, batch.id, 4, { firstNumber: 5000 });
    await h.rt.db
      .updateTable('contacts')
      .set({ status: 'in_progress' })
      .where('id', '=', contacts[0]!.id)
      .execute();
    const res = await h.http
      .post(`/v1/batches/${batch.id}/cancel`)
      .set('authorization', org.auth)
      .expect(200);
    expect(res.body).toEqual({ id: batch.id, status: 'cancelled', cancelledContacts: 3 });
    const statuses = await h.rt.db
      .selectFrom('contacts')
      .select('status')
      .where('batch_id', '=', batch.id)
      .orderBy('line')
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(['in_progress', 'cancelled', 'cancelled', 'cancelled']);
    const again = await h.http.post(`/v1/batches/${batch.id}/cancel`).set('authorization', org.auth);
    expect(again.status).toBe(409);
    expect((await batchEvents(batch.id)).map((e) => e.type)).toEqual(['batch.cancelled']);
  });

  it('lets exactly one of two concurrent starts win', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId, { status: 'draft' });
    const results = await Promise.all(
      [1, 2].map(() => h.http.post(`/v1/batches/${batch.id}/start`).set('authorization', org.auth)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  });
});

describe('GET /v1/batches/:id/attempts', () => {
  it('pages through attempts in queue order in the contract item shape', async () => {
    const batch = await insertBatch(h.rt.db, org.id, campaignId);
    const contacts = await insertContacts(h.rt.db, org.id, batch.id, 5, { firstNumber: 7000 });
    const base = Date.parse('2026-03-04T12:00:00Z');
    for (const [i, c] of contacts.entries()) {
      await h.rt.db
        .insertInto('attempts')
        .values({
          org_id: org.id,
          campaign_id: campaignId,
          batch_id: batch.id,
          contact_id: c.id,
          attempt: 1,
          status: 'finished',
          outcome: 'completed',
          sip_status: 200,
          // Same millisecond, different microseconds: the cursor must keep them apart.
          queued_at: `2026-03-04T12:00:00.00${i}1Z`,
          started_at: new Date(base + 1000),
          duration_ms: 4200,
          transferred_to: i === 0 ? 'sip:desk@pbx.example.com' : null,
        })
        .execute();
    }
    const phones: string[] = [];
    let cursor: string | null = null;
    let first: Record<string, unknown> | undefined;
    do {
      const res = await h.http
        .get(`/v1/batches/${batch.id}/attempts`)
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set('authorization', org.auth)
        .expect(200);
      const body = res.body as { items: Record<string, unknown>[]; nextCursor: string | null };
      first ??= body.items[0];
      phones.push(...body.items.map((i) => i.phone as string));
      cursor = body.nextCursor;
    } while (cursor);
    expect(phones).toEqual(contacts.map((c) => c.phone));
    expect(Object.keys(first ?? {}).sort()).toEqual(
      [
        'id',
        'contactId',
        'phone',
        'attempt',
        'status',
        'outcome',
        'amd',
        'sipStatus',
        'startedAt',
        'answeredAt',
        'endedAt',
        'durationMs',
        'recordingUrl',
        'transferredTo',
      ].sort(),
    );
    expect(first).toMatchObject({
      contactId: String(contacts[0]!.id),
      status: 'finished',
      outcome: 'completed',
      sipStatus: 200,
      durationMs: 4200,
      answeredAt: null,
      transferredTo: 'sip:desk@pbx.example.com',
    });
  });
});

describe('batch ids', () => {
  it('answers 404 for unknown and malformed batch ids on every batch route', async () => {
    for (const id of [crypto.randomUUID(), 'nope', '00000000-0000-0000-0000-00000000000g']) {
      for (const [method, path] of [
        ['get', ''],
        ['get', '/preview'],
        ['get', '/attempts'],
        ['post', '/start'],
        ['post', '/pause'],
        ['post', '/resume'],
        ['post', '/cancel'],
      ] as const) {
        const res = await h.http[method](`/v1/batches/${id}${path}`).set('authorization', org.auth);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body).toEqual({ error: { code: 'not_found', message: 'batch not found' } });
      }
    }
  });
});
