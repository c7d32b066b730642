// Tenant isolation over every route: org B's key sees 404 for each of org A's ids and changes
// nothing of A's; every /v1 route needs a key; org creation needs the admin token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../support/api.js';
import { insertBatch, insertContacts } from '../support/fixtures.js';

let h: ApiHarness;
let a: { id: string; auth: string };
let b: { id: string; auth: string };
const ids = { campaign: '', batch: '', draft: '', webhook: '', delivery: '' };

beforeAll(async () => {
  h = await createApiHarness('api_isolation');
  a = await h.createOrg('Org A');
  b = await h.createOrg('Org B');
  const campaign = await h.http
    .post('/v1/campaigns')
    .set('authorization', a.auth)
    .send({ name: 'A', mode: 'one_way', message: 'Hi' });
  ids.campaign = (campaign.body as { id: string }).id;
  const batch = await insertBatch(h.rt.db, a.id, ids.campaign, { status: 'running' });
  ids.batch = batch.id;
  ids.draft = (await insertBatch(h.rt.db, a.id, ids.campaign, { status: 'draft' })).id;
  const [contact] = await insertContacts(h.rt.db, a.id, batch.id, 1);
  await h.rt.db
    .insertInto('attempts')
    .values({
      org_id: a.id,
      campaign_id: ids.campaign,
      batch_id: batch.id,
      contact_id: contact!.id,
      attempt: 1,
    })
    .execute();
  const hook = await h.http
    .post('/v1/webhooks')
    .set('authorization', a.auth)
    .send({ url: 'https://example.com/a', events: ['*'] });
  ids.webhook = (hook.body as { id: string }).id;
  const delivery = await h.rt.db
    .insertInto('webhook_deliveries')
    .values({
      org_id: a.id,
      endpoint_id: ids.webhook,
      event_id: crypto.randomUUID(),
      event_type: 'call.completed',
      payload: '{}',
      status: 'dead',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  ids.delivery = delivery.id;
  await h.http
    .post('/v1/dnc')
    .set('authorization', a.auth)
    .send({ phones: ['+12025550123'] })
    .expect(201);
});
afterAll(async () => {
  await h.teardown();
});

type Method = 'get' | 'post' | 'delete';
const csv = 'phone\n2025550101\n';
/** Every route that takes an id of org A, as [method, path, body]. */
const idRoutes = (): [Method, string, unknown][] => [
  ['get', `/v1/campaigns/${ids.campaign}`, undefined],
  [
    'post',
    `/v1/campaigns/${ids.campaign}/batches`,
    { name: 'x', maxConcurrency: 1, contacts: [{ phone: '2025550101' }] },
  ],
  ['get', `/v1/batches/${ids.batch}`, undefined],
  ['get', `/v1/batches/${ids.batch}/preview`, undefined],
  ['get', `/v1/batches/${ids.batch}/attempts`, undefined],
  ['post', `/v1/batches/${ids.draft}/start`, undefined],
  ['post', `/v1/batches/${ids.batch}/pause`, undefined],
  ['post', `/v1/batches/${ids.batch}/resume`, undefined],
  ['post', `/v1/batches/${ids.batch}/cancel`, undefined],
  ['get', `/v1/webhooks/${ids.webhook}`, undefined],
  ['get', `/v1/webhooks/${ids.webhook}/deliveries`, undefined],
  ['delete', `/v1/webhooks/${ids.webhook}`, undefined],
  ['post', `/v1/deliveries/${ids.delivery}/replay`, undefined],
];

function send(method: Method, path: string, auth: string | undefined, body: unknown) {
  let req = h.http[method](path);
  if (auth) req = req.set('authorization', auth);
  return body === undefined ? req : req.send(body as object);
}

async function snapshotOfA(): Promise<string> {
  const [batches, contacts, endpoints, deliveries, dnc, campaigns] = await Promise.all([
    h.rt.db.selectFrom('batches').selectAll().where('org_id', '=', a.id).orderBy('id').execute(),
    h.rt.db.selectFrom('contacts').selectAll().where('org_id', '=', a.id).orderBy('id').execute(),
    h.rt.db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', a.id).orderBy('id').execute(),
    h.rt.db.selectFrom('webhook_deliveries').selectAll().where('org_id', '=', a.id).orderBy('id').execute(),
    h.rt.db.selectFrom('dnc').selectAll().where('org_id', '=', a.id).orderBy('phone').execute(),
    h.rt.db.selectFrom('campaigns').selectAll().where('org_id', '=', a.id).orderBy('id').execute(),
  ]);
  return JSON.stringify({ batches, contacts, endpoints, deliveries, dnc, campaigns });
}

describe('tenant isolation', () => {
  it('answers 404 to org B for every one of org A’s ids and changes nothing of A’s', async () => {
    const before = await snapshotOfA();
    for (const [method, path, body] of idRoutes()) {
      const res = await send(method, path, b.auth, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((res.body as { error: { code: string } }).error.code).toBe('not_found');
    }
    const upload = await h.http
      .post(`/v1/campaigns/${ids.campaign}/batches`)
      .query({ name: 'x', maxConcurrency: '1' })
      .set('authorization', b.auth)
      .set('content-type', 'text/csv')
      .send(csv);
    expect(upload.status).toBe(404);
    expect(await snapshotOfA()).toBe(before);
    expect(await h.rt.queues.webhooks.count()).toBe(0);
    expect(await h.rt.queues.callEvents.count()).toBe(0);
  });

  it('shows org B none of org A’s campaigns, webhooks or do-not-call numbers, and lets B remove none', async () => {
    const campaigns = await h.http.get('/v1/campaigns').set('authorization', b.auth).expect(200);
    expect(campaigns.body).toEqual({ items: [], nextCursor: null });
    const hooks = await h.http.get('/v1/webhooks').set('authorization', b.auth).expect(200);
    expect(hooks.body).toEqual({ items: [] });
    const dnc = await h.http.get('/v1/dnc').set('authorization', b.auth).expect(200);
    expect(dnc.body).toEqual({ items: [], nextCursor: null });
    const lookup = await h.http
      .get('/v1/dnc')
      .query({ phone: '+12025550123' })
      .set('authorization', b.auth)
      .expect(200);
    expect(lookup.body).toEqual({ items: [], nextCursor: null });
    const removed = await h.http
      .delete('/v1/dnc')
      .set('authorization', b.auth)
      .send({ phones: ['+12025550123'] })
      .expect(200);
    expect(removed.body).toEqual({ removed: 0 });
    const stillListed = await h.http.get('/v1/dnc').set('authorization', a.auth).expect(200);
    expect((stillListed.body as { items: unknown[] }).items).toHaveLength(1);
  });

  it('still serves org A its own ids (the matrix above is not vacuous)', async () => {
    for (const [method, path, body] of idRoutes().filter(([m]) => m === 'get')) {
      const res = await send(method, path, a.auth, body);
      expect(res.status, path).toBe(200);
    }
  });

  it('answers 401 on every /v1 route without a key, whatever the id', async () => {
    const collection: [Method, string, unknown][] = [
      ['get', '/v1/campaigns', undefined],
      ['post', '/v1/campaigns', { name: 'x' }],
      ['get', '/v1/webhooks', undefined],
      ['post', '/v1/webhooks', { url: 'https://example.com', events: ['*'] }],
      ['get', '/v1/dnc', undefined],
      ['post', '/v1/dnc', { phones: ['+12025550100'] }],
      ['delete', '/v1/dnc', { phones: ['+12025550100'] }],
    ];
    for (const [method, path, body] of [...idRoutes(), ...collection]) {
      const res = await send(method, path, undefined, body);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((res.body as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('refuses org creation to org API keys: only the admin token creates orgs', async () => {
    for (const auth of [a.auth, b.auth]) {
      const res = await h.http
        .post('/v1/orgs')
        .set('authorization', auth)
        .send({ name: 'Mallory', maxConcurrency: 1000 });
      expect(res.status).toBe(401);
    }
    const orgs = await h.rt.db.selectFrom('orgs').select('name').execute();
    expect(orgs.map((o) => o.name).sort()).toEqual(['Org A', 'Org B']);
  });
});
