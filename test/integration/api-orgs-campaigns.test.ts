// Orgs, campaigns and the cross-cutting HTTP behaviour (auth, errors, limits, headers, logs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness } from '../support/api.js';

let h: ApiHarness;
let a: { id: string; apiKey: string; auth: string };
let b: { id: string; apiKey: string; auth: string };

const campaign = {
  name: 'Rx reminder',
  mode: 'one_way',
  message: 'Hi {{first_name}}, your prescription is ready.',
};

beforeAll(async () => {
  h = await createApiHarness('api_orgs', { jsonLimitBytes: 64 * 1024 });
  a = await h.createOrg('Org A', 7);
  b = await h.createOrg('Org B', 3);
});
afterAll(async () => {
  await h.teardown();
});

describe('POST /v1/orgs', () => {
  it('creates an org with the admin token and returns its API key once, storing only a hash', async () => {
    const res = await h.http
      .post('/v1/orgs')
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ name: 'Acme', maxConcurrency: 5 });
    expect(res.status).toBe(201);
    const body = res.body as { id: string; apiKey: string };
    expect(body.apiKey).toMatch(/^od_/);
    const row = await h.rt.db
      .selectFrom('orgs')
      .selectAll()
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Acme', max_concurrency: 5 });
    expect(JSON.stringify(row)).not.toContain(body.apiKey);
  });

  it('refuses org creation without the admin token, with a wrong one, or with an org API key', async () => {
    const body = { name: 'X', maxConcurrency: 1 };
    for (const auth of [undefined, 'Bearer wrong-token', a.auth, `Basic ${ADMIN_TOKEN}`]) {
      const req = h.http.post('/v1/orgs').send(body);
      const res = await (auth ? req.set('authorization', auth) : req);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'admin token required' } });
    }
  });

  it('answers 400 with details for wrong types and for malformed JSON', async () => {
    const wrong = await h.http
      .post('/v1/orgs')
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ name: 3, maxConcurrency: '5' });
    expect(wrong.status).toBe(400);
    const details = (wrong.body as { error: { details: { path: string }[] } }).error.details;
    expect(details.map((d) => d.path).sort()).toEqual(['maxConcurrency', 'name']);
    const broken = await h.http
      .post('/v1/orgs')
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('content-type', 'application/json')
      .send('{"name":');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({
      error: { code: 'invalid_request', message: 'request body is not valid JSON' },
    });
  });
});

describe('campaigns', () => {
  it('creates a campaign with the contract defaults filled in and reads it back', async () => {
    const res = await h.http.post('/v1/campaigns').set('authorization', a.auth).send(campaign);
    expect(res.status).toBe(201);
    const created = res.body as {
      id: string;
      retry: unknown;
      schedule: { quietHours: unknown };
      amd: unknown;
    };
    expect(created.retry).toEqual({
      maxAttempts: 3,
      delays: { busy: '10m', no_answer: '60m', voicemail: '24h', failed: '5m' },
    });
    expect(created.schedule.quietHours).toEqual(['08:00', '21:00']);
    expect(created.amd).toEqual({ enabled: true, onMachine: 'hangup', voicemailMessage: null });
    const got = await h.http.get(`/v1/campaigns/${created.id}`).set('authorization', a.auth).expect(200);
    expect(got.body).toEqual(created);
  });

  it('refuses an invalid campaign with the failing paths in details', async () => {
    const res = await h.http
      .post('/v1/campaigns')
      .set('authorization', a.auth)
      .send({ name: 'x', mode: 'two_way', schedule: { timezoneFallback: 'Mars/Olympus', quietHours: null } });
    expect(res.status).toBe(400);
    const paths = (res.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['schedule.timezoneFallback', 'schedule.quietHours']));
  });

  it('lists only the caller’s campaigns, newest first, across pages without gaps or repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.http
        .post('/v1/campaigns')
        .set('authorization', b.auth)
        .send({ ...campaign, name: `B${i}` });
      ids.push((res.body as { id: string }).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.http
        .get('/v1/campaigns')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set('authorization', b.auth)
        .expect(200);
      const body = res.body as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((c) => c.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('answers 404 for unknown, malformed and other orgs’ campaign ids alike', async () => {
    const mine = await h.http.post('/v1/campaigns').set('authorization', a.auth).send(campaign);
    const id = (mine.body as { id: string }).id;
    for (const path of [
      `/v1/campaigns/${crypto.randomUUID()}`,
      '/v1/campaigns/not-a-uuid',
      '/v1/campaigns/1',
    ]) {
      const res = await h.http.get(path).set('authorization', a.auth);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: 'not_found' } });
    }
    const res = await h.http.get(`/v1/campaigns/${id}`).set('authorization', b.auth);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'campaign not found' } });
  });

  it('answers 400 for a list query it cannot read or a cursor it never issued', async () => {
    for (const query of [
      { limit: 0 },
      { limit: 'many' },
      { cursor: 'garbage' },
      { cursor: Buffer.from('["2026-13-45 99:00:00+00","x"]').toString('base64url') },
    ]) {
      const res = await h.http.get('/v1/campaigns').query(query).set('authorization', a.auth);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});

describe('authentication, limits and headers', () => {
  it('answers 401 without a key or with an invalid one', async () => {
    const none = await h.http.get('/v1/campaigns');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'unauthorized', message: 'missing bearer API key' } });
    const wrong = await h.http.get('/v1/campaigns').set('authorization', 'Bearer od_not-a-real-key');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: 'invalid API key' } });
  });

  it('answers 413 for a JSON body over the limit', async () => {
    const res = await h.http
      .post('/v1/campaigns')
      .set('authorization', a.auth)
      .send({ ...campaign, message: 'x'.repeat(80 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'payload_too_large', message: 'request body too large' } });
  });

  it('answers 400 when a body is not JSON at all', async () => {
    const res = await h.http
      .post('/v1/campaigns')
      .set('authorization', a.auth)
      .set('content-type', 'text/plain')
      .send('hello');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'invalid_request', message: 'expected an application/json body' },
    });
  });

  it('sends helmet’s security headers and no x-powered-by', async () => {
    const res = await h.http.get('/healthz').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers unknown routes with a contract 404', async () => {
    const res = await h.http.get('/v2/nothing').set('authorization', a.auth);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });

  it('is ready when Postgres, Redis and the migrations are', async () => {
    const res = await h.http.get('/readyz').expect(200);
    const check = { ok: true, ms: expect.any(Number) as number };
    expect(res.body).toEqual({ ok: true, draining: false, checks: { postgres: check, redis: check, migrations: check } });
  });

  it('serves an OpenAPI document that covers every contract route', async () => {
    const res = await h.http.get('/openapi.json').expect(200);
    const paths = Object.keys((res.body as { paths: Record<string, unknown> }).paths);
    for (const p of [
      '/v1/orgs',
      '/v1/campaigns',
      '/v1/campaigns/{id}',
      '/v1/batches/{id}',
      '/v1/batches/{id}/preview',
      '/v1/batches/{id}/start',
      '/v1/batches/{id}/cancel',
      '/v1/batches/{id}/attempts',
      '/v1/dnc',
      '/v1/webhooks',
      '/v1/webhooks/{id}/deliveries',
      '/v1/deliveries/{id}/replay',
      '/healthz',
      '/readyz',
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('logs one line per request with the org but never an API key, admin token or request body', async () => {
    await h.http
      .post('/v1/campaigns')
      .set('authorization', a.auth)
      .send({ ...campaign, name: 'log-probe' })
      .expect(201);
    const text = h.logs.join('');
    expect(text).toContain('"http.request"');
    expect(text).toContain(a.id);
    for (const secret of [a.apiKey, b.apiKey, ADMIN_TOKEN, 'log-probe']) expect(text).not.toContain(secret);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a key spends its window, without slowing other keys', async () => {
    const limited = await createApiHarness('api_ratelimit', { rateLimit: { points: 3, windowSeconds: 60 } });
    try {
      const x = await limited.createOrg('X');
      const y = await limited.createOrg('Y');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await limited.http.get('/v1/campaigns').set('authorization', x.auth)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await limited.http.get('/v1/campaigns').set('authorization', x.auth);
      expect(refused.body).toEqual({
        error: { code: 'rate_limited', message: 'too many requests for this API key' },
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await limited.http.get('/v1/campaigns').set('authorization', y.auth).expect(200);
    } finally {
      await limited.teardown();
    }
  });
});
