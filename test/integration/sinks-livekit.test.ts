// POST /livekit/webhook with webhooks signed like livekit-server signs them: forged, unsigned,
// tampered and stale ones are refused with nothing recorded; recordings land on the attempt;
// a room that ends without the agent's final event closes the attempt exactly once.
import { createHash } from 'node:crypto';
import express from 'express';
import { AccessToken } from 'livekit-server-sdk';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveKitWebhookRouter } from '../../src/sinks/livekit-webhook.js';
import { startSinks, type Sinks } from '../../src/sinks/main.js';
import { signWebhook, type WebhookEventJson } from '../support/livekit-double/webhook.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { emit, eventsOf, insertAttempt, recordingLeases } from './sinks-fixtures.js';

const KEY = 'lk-test-key';
const SECRET = 'lk-test-secret-that-is-long-enough-for-hs256';
let rt: TestRuntime;
let sinks: Sinks;
let app: express.Express;
let orgId: string;
let campaignId: string;

beforeAll(async () => {
  rt = await createTestRuntime('sinks_livekit', { LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET });
  orgId = (await insertOrg(rt.db)).org.id;
  campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
  sinks = await startSinks(rt, { leases: recordingLeases(), maintenance: false });
  app = express().use(createLiveKitWebhookRouter(rt, { closeGraceMs: 0 }));
});

afterAll(async () => {
  await sinks.close();
  await rt.teardown();
});

async function openAttempt(status: 'dialing' | 'in_progress' = 'in_progress') {
  const batch = await insertBatch(rt.db, orgId, campaignId);
  const [c] = await insertContacts(rt.db, orgId, batch.id, 1);
  return insertAttempt(rt.db, c!, campaignId, { status });
}

async function post(signed: { body: string; headers: Record<string, string> }) {
  return request(app).post('/livekit/webhook').set(signed.headers).send(signed.body);
}

async function nothingRecorded() {
  const events = await rt.db.selectFrom('call_events').select('id').execute();
  const jobs = await rt.queues.callEvents.getJobCountByTypes(
    'wait',
    'delayed',
    'active',
    'completed',
    'failed',
  );
  return { events: events.length, jobs };
}

describe('webhook authentication', () => {
  const event: WebhookEventJson = { event: 'room_finished', room: { name: `call-${crypto.randomUUID()}` } };

  it('refuses a webhook signed with another secret and records nothing', async () => {
    const before = await nothingRecorded();
    const res = await post(await signWebhook(KEY, 'another-secret-that-is-also-long-enough', event));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'invalid webhook signature' } });
    expect(await nothingRecorded()).toEqual(before);
  });

  it('refuses an unsigned webhook', async () => {
    const signed = await signWebhook(KEY, SECRET, event);
    const res = await request(app)
      .post('/livekit/webhook')
      .set('content-type', 'application/webhook+json')
      .send(signed.body);
    expect(res.status).toBe(401);
  });

  it('refuses a body changed after signing', async () => {
    const signed = await signWebhook(KEY, SECRET, event);
    const res = await post({ ...signed, body: signed.body.replace('room_finished', 'egress_ended') });
    expect(res.status).toBe(401);
  });

  it('refuses a stale token even with a matching body hash', async () => {
    const body = JSON.stringify({ id: 'EV_stale', createdAt: '1', ...event });
    const token = new AccessToken(KEY, SECRET, { ttl: '10m ago' });
    token.sha256 = createHash('sha256').update(body).digest('base64');
    const res = await post({
      body,
      headers: { 'content-type': 'application/webhook+json', authorization: await token.toJwt() },
    });
    expect(res.status).toBe(401);
    expect((await nothingRecorded()).events).toBe(0);
  });

  it('refuses a body nested deeper than 400 levels before parsing it, even when signed', async () => {
    const before = await nothingRecorded();
    for (const depth of [401, 4100]) {
      const deep: unknown = JSON.parse('['.repeat(depth) + ']'.repeat(depth));
      const res = await post(await signWebhook(KEY, SECRET, { ...event, padding: deep }));
      expect(res.status, `depth ${depth}`).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_request', message: 'request body nests deeper than 400 levels' } });
    }
    expect(await nothingRecorded()).toEqual(before);
  });
});

describe('events from LiveKit', () => {
  it('turns egress_ended into call.recording_ready and the attempt recording URL', async () => {
    const a = await openAttempt();
    const location = `s3://recordings/calls/${a.id}.ogg`;
    const res = await post(
      await signWebhook(KEY, SECRET, {
        event: 'egress_ended',
        egressInfo: {
          egressId: 'EG_abc',
          roomName: `call-${a.id}`,
          status: 'EGRESS_COMPLETE',
          fileResults: [{ filename: 'calls/x.ogg', location, duration: '12500000000', size: '48000' }],
        },
      }),
    );
    expect(res.status).toBe(200);
    const row = await waitFor(() =>
      rt.db
        .selectFrom('attempts')
        .selectAll()
        .where('id', '=', a.id)
        .where('recording_url', 'is not', null)
        .executeTakeFirst(),
    );
    expect(row.recording_url).toBe(location);
    const [ev] = await eventsOf(rt.db, a.id);
    expect(ev).toMatchObject({
      type: 'call.recording_ready',
      data: { location, durationMs: 12_500, sizeBytes: 48_000 },
    });
  });

  it('closes an attempt whose agent died once, however many room events arrive', async () => {
    const a = await openAttempt();
    const room = { name: `call-${a.id}` };
    await post(
      await signWebhook(KEY, SECRET, {
        event: 'participant_left',
        room,
        participant: { identity: 'callee' },
      }),
    );
    await post(await signWebhook(KEY, SECRET, { event: 'room_finished', room }));
    const row = await waitFor(() =>
      rt.db
        .selectFrom('attempts')
        .selectAll()
        .where('id', '=', a.id)
        .where('status', '=', 'finished')
        .executeTakeFirst(),
    );
    expect(row.outcome).toBe('failed');
    await waitFor(async () => (await eventsOf(rt.db, a.id)).length === 2, {
      what: 'completed and contact event',
    });
    const events = await eventsOf(rt.db, a.id);
    expect(events.map((e) => e.type)).toEqual(['call.completed', 'contact.retry_scheduled']);
    expect(events[0]?.data).toMatchObject({
      outcome: 'failed',
      reason: 'agent_lost',
      trigger: 'callee_left',
    });
  });

  it('leaves an attempt the agent finished untouched when the room ends afterwards', async () => {
    const a = await openAttempt();
    await emit(rt, 'call.completed', a.id, { outcome: 'completed', durationMs: 30_000 });
    await waitFor(async () => (await eventsOf(rt.db, a.id)).length === 2);
    const res = await post(
      await signWebhook(KEY, SECRET, { event: 'room_finished', room: { name: `call-${a.id}` } }),
    );
    expect(res.status).toBe(200);
    await waitFor(
      async () => (await rt.queues.callEvents.getJobCountByTypes('wait', 'delayed', 'active')) === 0,
    );
    const row = await rt.db
      .selectFrom('attempts')
      .selectAll()
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.outcome).toBe('completed');
    expect((await eventsOf(rt.db, a.id)).map((e) => e.type)).toEqual(['call.completed', 'contact.finished']);
  });

  it('acknowledges events about rooms that are not calls without recording anything', async () => {
    const res = await post(
      await signWebhook(KEY, SECRET, { event: 'room_finished', room: { name: 'lobby' } }),
    );
    expect(res.status).toBe(200);
  });
});
