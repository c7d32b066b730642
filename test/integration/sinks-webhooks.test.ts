// Webhook fan-out and delivery against a real local receiver that verifies every request with
// the `standardwebhooks` package: outages, 500s, timeouts, 410 Gone, dead letters and replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSinks, type Sinks } from '../../src/sinks/main.js';
import { enqueueRetry } from '../../src/sinks/deliveries.js';
import { sweep } from '../../src/sinks/maintenance.js';
import { recordCallEvent } from '../../src/sinks/store/call-events.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { startWebhookReceiver, type Responder, type WebhookReceiver } from '../support/webhook-receiver.js';
import { emit, insertAttempt, insertEndpoint, recordingLeases } from './sinks-fixtures.js';

let rt: TestRuntime;
let sinks: Sinks;
const receivers: WebhookReceiver[] = [];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  rt = await createTestRuntime('sinks_webhooks', { OUTDIAL_WEBHOOK_ALLOW_PRIVATE: 'true' });
  sinks = await startSinks(rt, {
    leases: recordingLeases(),
    maintenance: false,
    webhooks: { timeoutMs: 300, backoff: { baseMs: 40, capMs: 200, deadAfterMs: 2_500 }, random: seeded(7) },
  });
});

afterAll(async () => {
  await sinks.close();
  await Promise.all(receivers.map((r) => r.close()));
  await rt.teardown();
});

/** An org with one endpoint at a fresh receiver, and a batch whose events it subscribes to. */
async function scene(respond: Responder = () => 200, events = ['*']) {
  const orgId = (await insertOrg(rt.db)).org.id;
  const campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
  const batch = await insertBatch(rt.db, orgId, campaignId);
  // The receiver needs the endpoint's secret and the endpoint needs the receiver's URL.
  const { endpoint, secret } = await insertEndpoint(rt.db, orgId, 'http://placeholder.invalid/', events);
  const rx = await startWebhookReceiver(secret, respond);
  receivers.push(rx);
  await rt.db.updateTable('webhook_endpoints').set({ url: rx.url }).where('id', '=', endpoint.id).execute();
  return { orgId, batch, endpoint, rx };
}

const deliveriesOf = (endpointId: string) =>
  rt.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).execute();

async function allIn(endpointId: string, status: string, n: number) {
  return waitFor(
    async () => {
      const ds = await deliveriesOf(endpointId);
      return ds.length === n && ds.every((d) => d.status === status) ? ds : null;
    },
    { what: `${n} deliveries ${status}`, timeoutMs: 15_000 },
  );
}

describe('webhook delivery', () => {
  it('signs each event so the standardwebhooks package verifies it, with the contract body', async () => {
    const { batch, endpoint, rx } = await scene();
    const ev = await emit(rt, 'batch.started', null, { by: 'test' }, { batchId: batch.id });
    await allIn(endpoint.id, 'succeeded', 1);
    const [got] = rx.received;
    expect(got).toMatchObject({ id: ev.id, verified: true });
    expect(Object.keys(got?.body ?? {})).toEqual([
      'id',
      'type',
      'occurredAt',
      'orgId',
      'campaignId',
      'batchId',
      'contactId',
      'attemptId',
      'data',
    ]);
    expect(got?.body).toMatchObject({
      id: ev.id,
      type: 'batch.started',
      batchId: batch.id,
      data: { by: 'test' },
    });
    expect(got?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('delivers each event exactly once after the receiver was down and came back', async () => {
    const { batch, endpoint, rx } = await scene();
    await rx.down();
    const ids = [];
    for (let i = 0; i < 10; i++)
      ids.push((await emit(rt, 'batch.resumed', null, { i }, { batchId: batch.id })).id);
    await waitFor(
      async () => (await deliveriesOf(endpoint.id)).filter((d) => d.attempts >= 2).length === 10,
      {
        what: 'every delivery retried while down',
      },
    );
    await rx.up();
    const ds = await allIn(endpoint.id, 'succeeded', 10);
    expect(ds.every((d) => d.last_status_code === 200 && d.delivered_at !== null)).toBe(true);
    const ok = rx.successes();
    expect([...ok.keys()].sort()).toEqual([...ids].sort());
    expect([...ok.values()].every((n) => n === 1)).toBe(true);
  });

  it('retries after 500s until the receiver accepts', async () => {
    const { batch, endpoint, rx } = await scene((_id, n) => (n <= 2 ? 500 : 204));
    await emit(rt, 'batch.paused', null, { reason: 'x' }, { batchId: batch.id });
    const [d] = await allIn(endpoint.id, 'succeeded', 1);
    expect(d).toMatchObject({ attempts: 3, last_status_code: 204, last_error: null });
    expect(rx.received.map((r) => r.status)).toEqual([500, 500, 204]);
  });

  it('times out a receiver that never answers and retries', async () => {
    const { batch, endpoint, rx } = await scene((_id, n) => (n === 1 ? 'hang' : 200));
    await emit(rt, 'batch.started', null, {}, { batchId: batch.id });
    const [d] = await allIn(endpoint.id, 'succeeded', 1);
    expect(d?.attempts).toBe(2);
    expect(rx.received.map((r) => r.status)).toEqual(['hang', 200]);
  });

  it('disables the endpoint on 410 Gone and stops sending to it', async () => {
    const { batch, endpoint, rx } = await scene(() => 410);
    await emit(rt, 'batch.started', null, {}, { batchId: batch.id });
    const [d] = await allIn(endpoint.id, 'dead', 1);
    expect(d).toMatchObject({ attempts: 1, last_status_code: 410 });
    const ep = await rt.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', endpoint.id)
      .executeTakeFirstOrThrow();
    expect(ep).toMatchObject({ enabled: false, disabled_reason: 'receiver answered 410 Gone' });
    const later = await emit(rt, 'batch.paused', null, {}, { batchId: batch.id });
    await waitFor(() =>
      rt.db.selectFrom('call_events').select('id').where('id', '=', later.id).executeTakeFirst(),
    );
    expect(await deliveriesOf(endpoint.id)).toHaveLength(1);
    expect(rx.received).toHaveLength(1);
  });

  it('dead-letters a delivery after its retry budget and sends it again on replay', async () => {
    let accept = false;
    const { batch, endpoint, rx } = await scene(() => (accept ? 200 : 503));
    const ev = await emit(rt, 'batch.completed', null, {}, { batchId: batch.id });
    const [dead] = await allIn(endpoint.id, 'dead', 1);
    expect(dead?.last_status_code).toBe(503);
    expect(dead?.attempts).toBeGreaterThan(2);
    accept = true;
    // What the API's replay does: back to pending, due now, and a new job.
    await rt.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: new Date() })
      .where('id', '=', dead!.id)
      .execute();
    await rt.queues.webhooks.add('deliver', { deliveryId: dead!.id }, { jobId: `${dead!.id}-replay` });
    await allIn(endpoint.id, 'succeeded', 1);
    expect(rx.successes().get(ev.id)).toBe(1);
  });

  it('records a transferred call: outcome transferred, no retry despite a callback, call.transferred delivered', async () => {
    const types = ['call.transferred', 'call.completed', 'contact.finished'];
    const { orgId, batch, endpoint, rx } = await scene(() => 200, types);
    const [c] = await insertContacts(rt.db, orgId, batch.id, 1);
    const a = await insertAttempt(rt.db, c!, batch.campaign_id, { status: 'in_progress' });
    const to = '+12025550109';
    const transferred = await emit(rt, 'call.transferred', a.id, { to });
    // A callback booked earlier in the call does not bring back a callee who is with a person now.
    const callbackAt = new Date(Date.now() + 86_400_000).toISOString();
    await emit(rt, 'call.completed', a.id, { outcome: 'transferred', durationMs: 42_000, transferredTo: to, callbackAt });
    await allIn(endpoint.id, 'succeeded', 3);

    const attempt = await rt.db.selectFrom('attempts').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'transferred', duration_ms: 42_000 });
    const contact = await rt.db.selectFrom('contacts').selectAll().where('id', '=', c!.id).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ status: 'finished', last_outcome: 'transferred', next_attempt_at: null });
    const bodies = rx.received.filter((r) => r.verified).map((r) => r.body);
    expect(bodies.map((b) => b?.type).sort()).toEqual([...types].sort());
    expect(bodies.find((b) => b?.type === 'call.transferred')).toMatchObject({ id: transferred.id, attemptId: a.id, data: { to } });
    expect(bodies.find((b) => b?.type === 'contact.finished')).toMatchObject({
      data: { outcome: 'transferred', reason: 'not_retryable', isLastAttempt: true },
    });
  });

  it('sends only the event types an endpoint subscribed to', async () => {
    const { batch, endpoint, rx } = await scene(() => 200, ['batch.completed']);
    await emit(rt, 'batch.started', null, {}, { batchId: batch.id });
    const wanted = await emit(rt, 'batch.completed', null, {}, { batchId: batch.id });
    await allIn(endpoint.id, 'succeeded', 1);
    expect(rx.received.map((r) => r.id)).toEqual([wanted.id]);
  });

  it('re-sends a stored delivery whose job was lost, from the maintenance sweep', async () => {
    const { orgId, batch, endpoint, rx } = await scene();
    const id = crypto.randomUUID();
    // Stored with its delivery row, but the process died before queueing the job.
    await recordCallEvent(rt.db, {
      id,
      type: 'batch.started',
      occurredAt: new Date().toISOString(),
      orgId,
      campaignId: batch.campaign_id,
      batchId: batch.id,
      contactId: null,
      attemptId: null,
      data: {},
    });
    expect(await sweep(rt, 0)).toMatchObject({ requeued: 1 });
    await allIn(endpoint.id, 'succeeded', 1);
    expect(rx.successes().get(id)).toBe(1);
  });

  it('re-sends an overdue delivery even while a job of its last try is still held', async () => {
    const { endpoint, batch, rx } = await scene(() => 200);
    // The receiver is fine, but the delivery's try never ran: its row is overdue, and BullMQ still
    // holds a job under the retry's id (a failed job is kept a day), so re-adding that id would do nothing.
    await sinks.webhooks.pause();
    const ev = await emit(rt, 'batch.started', null, {}, { batchId: batch.id });
    const [d] = await waitFor(async () => {
      const ds = await deliveriesOf(endpoint.id);
      return ds.length === 1 ? ds : null;
    }, { what: 'the delivery row' });
    await rt.queues.webhooks.obliterate({ force: true });
    await enqueueRetry(rt.queues.webhooks, d!.id, 0, new Date(Date.now() + 3_600_000));
    await rt.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: new Date(Date.now() - 120_000) })
      .where('id', '=', d!.id)
      .execute();
    sinks.webhooks.resume();
    expect(await sweep(rt, 60_000)).toMatchObject({ requeued: 1 });
    await allIn(endpoint.id, 'succeeded', 1);
    expect(rx.successes().get(ev.id)).toBe(1);
  });

  it('counts deliveries by status and times them on the registry', async () => {
    const count = async (status: string) => {
      const m = (await rt.registry.getSingleMetric('outdial_webhook_deliveries_total')?.get())?.values ?? [];
      return m.find((v) => v.labels.status === status)?.value ?? 0;
    };
    const before = { ok: await count('succeeded'), dead: await count('dead') };
    const good = await scene(() => 200);
    const gone = await scene(() => 410);
    await emit(rt, 'batch.started', null, {}, { batchId: good.batch.id });
    await emit(rt, 'batch.started', null, {}, { batchId: gone.batch.id });
    await allIn(good.endpoint.id, 'succeeded', 1);
    await allIn(gone.endpoint.id, 'dead', 1);
    expect(await count('succeeded')).toBe(before.ok + 1);
    expect(await count('dead')).toBe(before.dead + 1);
    expect(await rt.registry.metrics()).toMatch(/outdial_webhook_delivery_seconds_count [1-9]/);
  });
});
