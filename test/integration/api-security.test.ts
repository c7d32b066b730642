// What the API leaves behind in logs and at rest: phone numbers only masked, API keys and
// webhook secrets never in plaintext, not even when a request puts them where they do not belong.
// And how it stands up to guessing: failed authentications are limited per client address.
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createApp } from '../../src/producers/app.js';
import { clientAddressKey } from '../../src/producers/http/auth-failures.js';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness } from '../support/api.js';
import { insertBatch } from '../support/fixtures.js';

let h: ApiHarness;
let org: { id: string; apiKey: string; auth: string };
const phones = ['2025550143', '2025550144', '2025550145', '2025550146'];

beforeAll(async () => {
  h = await createApiHarness('api_security');
  org = await h.createOrg('Secure org');
});
afterAll(async () => {
  await h.teardown();
});

describe('logs', () => {
  it('never carry a phone number unmasked, whatever route it travelled through', async () => {
    const campaign = await h.http
      .post('/v1/campaigns')
      .set('authorization', org.auth)
      .send({ name: 'S', mode: 'one_way', message: 'Hi' });
    const campaignId = (campaign.body as { id: string }).id;
    await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: [`+1${phones[0]}`] })
      .expect(201);
    await h.http.get('/v1/dnc').query({ phone: phones[0] }).set('authorization', org.auth).expect(200);
    await h.http
      .post('/v1/dnc')
      .set('authorization', org.auth)
      .send({ phones: [`+1${phones[0]}`, `+1${phones[3]}99999`] })
      .expect(422);
    const upload = await h.http
      .post(`/v1/campaigns/${campaignId}/batches`)
      .query({ name: 'S', maxConcurrency: '1' })
      .set('authorization', org.auth)
      .set('content-type', 'text/csv')
      .send(`phone\n${phones[1]}\n${phones[1]}\nxx${phones[2]}yy\n`)
      .expect(201);
    const batchId = (upload.body as { batchId: string }).batchId;
    await h.http.get(`/v1/batches/${batchId}/attempts`).set('authorization', org.auth).expect(200);
    await h.http.get(`/v1/campaigns/%2B1${phones[3]}`).set('authorization', org.auth).expect(404);
    await h.http.get(`/v1/nowhere/${phones[3]}`).set('authorization', org.auth).expect(404);
    const text = h.logs.join('');
    expect(text).toContain('http.request');
    for (const p of phones) expect(text).not.toContain(p);
    expect(text).toContain('******0146');
  });

  it('never carry the API key, the admin token or a webhook secret', async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    await h.http
      .post('/v1/webhooks')
      .set('authorization', org.auth)
      .send({ url: 'https://example.com/s', events: ['*'], secret })
      .expect(201);
    await h.http.get(`/v1/campaigns?key=${org.apiKey}`).set('authorization', org.auth).expect(200);
    await h.http
      .post('/v1/orgs')
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ name: 'Other', maxConcurrency: 1 })
      .expect(201);
    await h.http.get('/v1/campaigns').set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(401);
    const text = h.logs.join('');
    for (const s of [org.apiKey, ADMIN_TOKEN, secret, secret.slice(6)]) expect(text).not.toContain(s);
  });
});

describe('at rest', () => {
  it('holds no API key or webhook secret in plaintext anywhere in the database', async () => {
    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    await h.http
      .post('/v1/webhooks')
      .set('authorization', org.auth)
      .send({ url: 'https://example.com/r', events: ['*'], secret })
      .expect(201);
    await insertBatch(
      h.rt.db,
      org.id,
      (await h.rt.db.selectFrom('campaigns').select('id').executeTakeFirstOrThrow()).id,
    );
    const { rows } = await sql<{ dump: string }>`
      select (select coalesce(json_agg(o), '[]') from orgs o)::text
        || (select coalesce(json_agg(w), '[]') from webhook_endpoints w)::text as dump`.execute(h.rt.db);
    const dump = rows[0]!.dump;
    expect(dump).toContain(org.id);
    for (const s of [org.apiKey, org.apiKey.slice(8), secret.slice(6)]) expect(dump).not.toContain(s);
  });
});

describe('failed authentication', () => {
  // Three failures per address; X-Forwarded-For from loopback names the client (OUTDIAL_TRUST_PROXY).
  let g: ApiHarness;
  let key: string;
  beforeAll(async () => {
    g = await createApiHarness('api_authfail', {}, { OUTDIAL_AUTH_FAILURE_LIMIT: '3', OUTDIAL_TRUST_PROXY: 'loopback' });
    await g.rt.redis.ping(); // the limiter fails open until the connection is ready
    key = (await g.createOrg('Brute')).auth;
  });
  afterAll(async () => {
    await g.teardown();
  });
  const from = (ip: string, auth: string) => g.http.get('/v1/campaigns').set('x-forwarded-for', ip).set('authorization', auth);
  /** How many Postgres connections the API checked out while `request` ran. */
  async function connectionsDuring<T>(request: () => Promise<T>): Promise<{ res: T; acquired: number }> {
    let acquired = 0;
    const onAcquire = () => void acquired++;
    g.rt.pool.on('acquire', onAcquire);
    try {
      return { res: await request(), acquired };
    } finally {
      g.rt.pool.off('acquire', onAcquire);
    }
  }

  it('refuses an address with 429 and retry-after once it has used up its failures, before looking at the key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await from('198.51.100.1', `Bearer od_wrong${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const { res: refused, acquired } = await connectionsDuring(() => from('198.51.100.1', key));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: { code: 'rate_limited', message: 'too many failed authentications from this address; retry later' },
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(acquired).toBe(0);
    // The probe sees the key lookup of an address that is not blocked.
    const allowed = await connectionsDuring(() => from('198.51.100.2', key));
    expect(allowed.res.status).toBe(200);
    expect(allowed.acquired).toBeGreaterThan(0);
  });

  it('counts wrong admin tokens in the same budget and counts no successful request', async () => {
    for (let i = 0; i < 5; i++) await from('198.51.100.3', key).expect(200);
    const createOrg = (auth: string) =>
      g.http.post('/v1/orgs').set('x-forwarded-for', '198.51.100.3').set('authorization', auth).send({ name: 'N', maxConcurrency: 1 });
    expect((await createOrg('Bearer wrong-admin-token')).status).toBe(401);
    await from('198.51.100.3', 'Bearer od_wrong').expect(401);
    expect((await createOrg('Bearer wrong-admin-token')).status).toBe(401);
    const refused = await createOrg(`Bearer ${ADMIN_TOKEN}`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await from('198.51.100.3', key).expect(429);
  });

  it('groups IPv6 clients by /64', async () => {
    for (let i = 1; i <= 3; i++) await from(`2001:db8:1:2::${i}`, 'Bearer od_wrong').expect(401);
    await from('2001:db8:1:2:ffff::9', key).expect(429);
    await from('2001:db8:1:3::1', key).expect(200);
  });

  it('fails open with a warning when Redis is unreachable', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    deadRedis.on('error', () => undefined);
    const logs: string[] = [];
    const log = createLogger({ level: 'warn', destination: { write: (line: string) => void logs.push(line) } });
    try {
      const app = createApp({ ...g.rt, redis: deadRedis, log });
      for (let i = 0; i < 5; i++) {
        await supertest(app).get('/v1/campaigns').set('x-forwarded-for', '198.51.100.4').set('authorization', 'Bearer od_x').expect(401);
      }
      await supertest(app).get('/v1/campaigns').set('x-forwarded-for', '198.51.100.4').set('authorization', key).expect(200);
      expect(logs.join('')).toContain('auth_failures.unavailable');
    } finally {
      deadRedis.disconnect();
    }
  });
});

describe('client address keys', () => {
  it('keeps IPv4 (also IPv4-mapped) whole and cuts IPv6 to its /64', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('2001:0db8:0000:0000:abcd::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey(undefined)).toBe('unknown');
    expect(clientAddressKey('not an ip')).toBe('unknown');
  });
});
