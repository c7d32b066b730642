// The do-not-call list, webhook endpoints, deliveries and replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ENCRYPTION_KEY, decryptSecret } from '../../src/core/secrets.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';
import { exampleDns, fakeResolver } from '../support/dns.js';

let h: ApiHarness;
let org: { id: string; apiKey: string; auth: string };

beforeAll(async () => {
  // What a cluster's resolver answers: internal names the API must not hand to a tenant's webhook.
  const resolve = fakeResolver({
    ...exampleDns,
    'kubernetes.default.svc': ['10.96.0.1'],
    'metadata.google.internal': ['169.254.169.254'],
    vm: ['127.0.0.1'],
    'split.example.net': ['93.184.216.34', 'fd00::1'],
  });
  h = await createApiHarness('api_dnc_webhooks', { resolve });
  org = await h.createOrg('Org A');
});
afterAll(async () => {
  await h.teardown();
});

describe('do-not-call list', () => {
  it('stores numbers in E.164 whatever their format, idempotently, and looks them up', async () => {
    const res = await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({
        phones: ['(202) 555-0143', '+1 202 555 0143', '020 7946 0958'],
        reason: 'asked',
        defaultRegion: 'GB',
      });
    expect(res.status).toBe(422);
    const added = await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: ['(202) 555-0143', '+1 202 555 0143', '+44 20 7946 0958'], reason: 'asked' })
      .expect(201);
    expect(added.body).toEqual({ added: 2, phones: ['+12025550143', '+442079460958'] });
    const again = await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: ['2025550143'] })
      .expect(201);
    expect(again.body).toEqual({ added: 0, phones: ['+12025550143'] });
    const lookup = await h.http
      .get('/v1/dnc')
      .query({ phone: '202-555-0143' })
      .set('authorization', org.auth)
      .expect(200);
    expect(lookup.body).toMatchObject({
      items: [{ phone: '+12025550143', reason: 'asked' }],
      nextCursor: null,
    });
  });

  it('names every number it cannot parse and writes none of the request', async () => {
    const res = await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: ['+12025550177', 'banana', '12'] });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: {
        code: 'unprocessable',
        message: '2 phone number(s) are not valid',
        details: [
          { index: 1, message: 'not a valid phone number' },
          { index: 2, message: 'not a valid phone number' },
        ],
      },
    });
    const row = await h.rt.db
      .selectFrom('dnc')
      .selectAll()
      .where('phone', '=', '+12025550177')
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('removes numbers and reports how many were listed', async () => {
    await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: ['+12025550188'] })
      .expect(201);
    const res = await h.http
      .delete('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: ['202 555 0188', '+12025550199'] })
      .expect(200);
    expect(res.body).toEqual({ removed: 1 });
  });

  it('answers 400 for wrong types', async () => {
    for (const body of [
      { phones: '+12025550100' },
      { phones: [] },
      { phones: [1] },
      { phones: ['+12025550100'], extra: true },
    ]) {
      const res = await h.http.post('/v1/dnc').set('authorization', org.auth).send(body);
      expect(res.status).toBe(400);
    }
  });
});

describe('webhook endpoints', () => {
  it('generates a whsec_ secret, shows it once and stores it only encrypted', async () => {
    const res = await h.http
      .post('/v1/webhooks')
      .set('authorization', org.auth)
      .send({
        url: 'https://hooks.example.com/outdial',
        events: ['call.completed', 'call.completed', 'batch.started'],
      })
      .expect(201);
    const body = res.body as { id: string; secret: string; events: string[] };
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    expect(body.events).toEqual(['call.completed', 'batch.started']);
    const row = await h.rt.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(body.secret.slice(6));
    expect(decryptSecret(row.secret_enc, DEV_ENCRYPTION_KEY)).toBe(body.secret);
    const got = await h.http.get(`/v1/webhooks/${body.id}`).set('authorization', org.auth).expect(200);
    expect(got.body).not.toHaveProperty('secret');
    const list = await h.http.get('/v1/webhooks').set('authorization', org.auth).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(body.secret);
    expect(h.logs.join('')).not.toContain(body.secret.slice(6));
  });

  it('keeps a secret the caller chose', async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const res = await h.http
      .post('/v1/webhooks')
      .set('authorization', org.auth)
      .send({ url: 'http://example.com/h', events: ['*'], secret })
      .expect(201);
    expect((res.body as { secret: string }).secret).toBe(secret);
  });

  it('refuses non-http schemes, unknown events and weak secrets with 400, private addresses with 422', async () => {
    for (const body of [
      { url: 'ftp://example.com/x', events: ['*'] },
      { url: 'not a url', events: ['*'] },
      { url: 'https://example.com', events: ['call.exploded'] },
      { url: 'https://example.com', events: [] },
      { url: 'https://example.com', events: ['*'], secret: 'hunter2' },
    ]) {
      const res = await h.http.post('/v1/webhooks').set('authorization', org.auth).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://localhost/x',
      'http://10.1.2.3/',
      'http://[::1]/',
      'http://169.254.169.254/latest',
    ]) {
      const res = await h.http
        .post('/v1/webhooks')
        .set('authorization', org.auth)
        .send({ url, events: ['*'] });
      expect(res.status, url).toBe(422);
    }
  });

  it('refuses hosts that resolve to internal addresses or do not resolve, with one message naming no address', async () => {
    const cases: [string, string][] = [
      ['http://kubernetes.default.svc/', '10.96.0.1'],
      ['http://metadata.google.internal/computeMetadata/v1/', '169.254.169.254'],
      ['http://vm:8080/', '127.0.0.1'],
      ['https://split.example.net/', 'fd00::1'],
      ['https://nowhere.invalid/', 'ENOTFOUND'],
      // IPv6 forms carrying internal IPv4 addresses (issue 19).
      ['http://[64:ff9b::a00:1]/', '10.0.0.1'],
      ['http://[::127.0.0.1]/', '127.0.0.1'],
      ['http://[::ffff:0:7f00:1]/', 'rfc6145'], // IPv4-translated: refused whatever it carries
      ['http://[64:ff9b:1::a00:1]/', '64:ff9b:1::a00:1'],
      ['http://[2002:7f00:1::]/', '127.0.0.1'],
    ];
    for (const [url, internal] of cases) {
      const logged = h.logs.length;
      const res = await h.http
        .post('/v1/webhooks')
        .set('authorization', org.auth)
        .send({ url, events: ['*'] });
      expect(res.status, url).toBe(422);
      expect(res.body, url).toEqual({
        error: {
          code: 'unprocessable',
          message: 'destination not allowed',
          details: [{ path: 'url', message: 'the host must resolve, and only to public addresses' }],
        },
      });
      // The reason, with the address, is for the operator's log only.
      const line = h.logs.slice(logged).find((l) => l.includes('webhook.destination_refused'));
      expect(line, url).toContain(internal);
    }
    const rows = await h.rt.db.selectFrom('webhook_endpoints').select('url').execute();
    expect(rows.map((r) => r.url)).not.toContain('http://kubernetes.default.svc/');
  });

  it('deletes an endpoint, which then answers 404 everywhere', async () => {
    const res = await h.http
      .post('/v1/webhooks')
      .set('authorization', org.auth)
      .send({ url: 'https://example.com/d', events: ['*'] });
    const id = (res.body as { id: string }).id;
    await h.http.delete(`/v1/webhooks/${id}`).set('authorization', org.auth).expect(204);
    await h.http.delete(`/v1/webhooks/${id}`).set('authorization', org.auth).expect(404);
    await h.http.get(`/v1/webhooks/${id}`).set('authorization', org.auth).expect(404);
    await h.http.get(`/v1/webhooks/${id}/deliveries`).set('authorization', org.auth).expect(404);
    const list = await h.http.get('/v1/webhooks').set('authorization', org.auth).expect(200);
    expect((list.body as { items: { id: string }[] }).items.map((e) => e.id)).not.toContain(id);
  });
});

describe('deliveries', () => {
  it('lists an endpoint’s deliveries and replays one: back to pending and onto the webhooks queue', async () => {
    const created = await h.http
      .post('/v1/webhooks')
      .set('authorization', org.auth)
      .send({ url: 'https://example.com/r', events: ['*'] });
    const endpointId = (created.body as { id: string }).id;
    const rows = await h.rt.db
      .insertInto('webhook_deliveries')
      .values(
        [0, 1, 2].map((i) => ({
          org_id: org.id,
          endpoint_id: endpointId,
          event_id: crypto.randomUUID(),
          event_type: 'call.completed',
          payload: JSON.stringify({ i }),
          status: 'dead' as const,
          attempts: 8,
          last_status_code: 500,
          last_error: 'HTTP 500',
        })),
      )
      .returning('id')
      .execute();
    const page1 = await h.http
      .get(`/v1/webhooks/${endpointId}/deliveries`)
      .query({ limit: 2 })
      .set('authorization', org.auth)
      .expect(200);
    const body1 = page1.body as { items: { id: string; status: string }[]; nextCursor: string };
    expect(body1.items).toHaveLength(2);
    expect(body1.items[0]).toMatchObject({
      status: 'dead',
      attempts: 8,
      lastStatusCode: 500,
      eventType: 'call.completed',
    });
    const page2 = await h.http
      .get(`/v1/webhooks/${endpointId}/deliveries`)
      .query({ limit: 2, cursor: body1.nextCursor })
      .set('authorization', org.auth)
      .expect(200);
    const all = [...body1.items, ...(page2.body as { items: { id: string }[] }).items].map((d) => d.id);
    expect(all.sort()).toEqual(rows.map((r) => r.id).sort());

    const target = rows[0]!.id;
    const replay = await h.http
      .post(`/v1/deliveries/${target}/replay`)
      .set('authorization', org.auth)
      .expect(202);
    expect(replay.body).toEqual({ id: target, status: 'pending' });
    const row = await h.rt.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', target)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
    await h.http.post(`/v1/deliveries/${target}/replay`).set('authorization', org.auth).expect(202);
    const jobs = await h.rt.queues.webhooks.getJobs(['waiting']);
    expect(jobs.map((j) => j.data)).toEqual([{ deliveryId: target }, { deliveryId: target }]);
  });

  it('answers 404 when replaying an unknown or malformed delivery id', async () => {
    await h.http
      .post(`/v1/deliveries/${crypto.randomUUID()}/replay`)
      .set('authorization', org.auth)
      .expect(404);
    await h.http.post('/v1/deliveries/123/replay').set('authorization', org.auth).expect(404);
  });
});
