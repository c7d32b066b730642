// What the API leaves behind in logs and at rest: phone numbers only masked, API keys and
// webhook secrets never in plaintext, not even when a request puts them where they do not belong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
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
