// Property-based fuzzing of every API route (fast-check): whatever the body, query, path id or
// headers, the API answers a contract status with a contract error body, never a 5xx, and a
// rejected request writes nothing. fast-check prints the seed and the shrunk input on failure.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness } from '../support/api.js';
import { insertBatch, insertContacts } from '../support/fixtures.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const contractStatuses = [400, 401, 404, 409, 413, 422, 429];
let h: ApiHarness;
let org: { id: string; auth: string };
const ids = { campaign: '', batch: '', webhook: '', delivery: '' };

beforeAll(async () => {
  h = await createApiHarness('api_fuzz', { rateLimit: { points: 1_000_000, windowSeconds: 60 } });
  org = await h.createOrg('Fuzz org');
  const c = await h.http
    .post('/v1/campaigns')
    .set('authorization', org.auth)
    .send({ name: 'F', mode: 'one_way', message: 'Hi {{first_name}}' });
  ids.campaign = (c.body as { id: string }).id;
  ids.batch = (await insertBatch(h.rt.db, org.id, ids.campaign, { status: 'draft' })).id;
  await insertContacts(h.rt.db, org.id, ids.batch, 3);
  const w = await h.http
    .post('/v1/webhooks')
    .set('authorization', org.auth)
    .send({ url: 'https://example.com/f', events: ['*'] });
  ids.webhook = (w.body as { id: string }).id;
  const d = await h.rt.db
    .insertInto('webhook_deliveries')
    .values({
      org_id: org.id,
      endpoint_id: ids.webhook,
      event_id: crypto.randomUUID(),
      event_type: 'call.completed',
      payload: '{}',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  ids.delivery = d.id;
});
afterAll(async () => {
  await h.teardown();
});

/** Row counts of every table plus the queues' job counts: "nothing written" means this is unchanged. */
async function footprint(): Promise<string> {
  const { rows } = await sql<{ t: string; n: string }>`
    select 'orgs' t, count(*) n from orgs union all select 'campaigns', count(*) from campaigns
    union all select 'batches', count(*) from batches union all select 'contacts', count(*) from contacts
    union all select 'dnc', count(*) from dnc union all select 'webhook_endpoints', count(*) from webhook_endpoints
    union all select 'batch_status', count(*) from batches where status <> 'draft'
    union all select 'pending_deliveries', count(*) from webhook_deliveries where status = 'pending' and attempts = 0`.execute(
    h.rt.db,
  );
  const jobs = await Promise.all([h.rt.queues.callEvents.count(), h.rt.queues.webhooks.count()]);
  return JSON.stringify([rows, jobs]);
}

function expectContractAnswer(res: { status: number; body: unknown }, what: string): void {
  expect(res.status, what).toBeLessThan(500);
  if (res.status >= 400) {
    expect(contractStatuses, what).toContain(res.status);
    expect(res.body, what).toMatchObject({
      error: { code: expect.any(String) as string, message: expect.any(String) as string },
    });
  }
}

// Bodies: anything JSON, plus objects that carry the right keys with wrong or hostile values.
const hostile = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    "'; drop table orgs; --",
    '{{__proto__}}',
    '\u0000',
    '😀'.repeat(50),
    'x'.repeat(5000),
    '-1',
    '1e309',
    'NaN',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const keyed = (keys: string[]) =>
  fc.dictionary(
    fc.constantFrom(...keys, '__proto__', 'constructor'),
    fc.oneof(hostile, fc.array(hostile, { maxLength: 3 })),
  );
const bodyFor = (keys: string[]) => fc.oneof(fc.jsonValue(), keyed(keys));
const idArb = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('%00', '..', '%2e%2e', '0', 'null'),
);
const queryArb = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'phone', 'defaultRegion', 'name', 'maxConcurrency', 'startAt'),
  fc.oneof(fc.string({ maxLength: 60 }), fc.integer().map(String)),
);

type Method = 'get' | 'post' | 'delete';
const routes: { method: Method; path: (id: string) => string; keys: string[]; realId?: () => string }[] = [
  {
    method: 'post',
    path: () => '/v1/campaigns',
    keys: ['name', 'mode', 'message', 'instructions', 'schedule', 'retry', 'amd', 'callerId'],
  },
  { method: 'get', path: () => '/v1/campaigns', keys: [] },
  { method: 'get', path: (id) => `/v1/campaigns/${id}`, keys: [], realId: () => ids.campaign },
  {
    method: 'post',
    path: (id) => `/v1/campaigns/${id}/batches`,
    keys: ['name', 'maxConcurrency', 'startAt', 'contacts'],
    realId: () => ids.campaign,
  },
  { method: 'get', path: (id) => `/v1/batches/${id}`, keys: [], realId: () => ids.batch },
  { method: 'get', path: (id) => `/v1/batches/${id}/preview`, keys: [], realId: () => ids.batch },
  { method: 'get', path: (id) => `/v1/batches/${id}/attempts`, keys: [], realId: () => ids.batch },
  { method: 'post', path: (id) => `/v1/batches/${id}/pause`, keys: [], realId: () => ids.batch },
  { method: 'post', path: (id) => `/v1/batches/${id}/resume`, keys: [], realId: () => ids.batch },
  { method: 'post', path: () => '/v1/dnc', keys: ['phones', 'reason', 'defaultRegion'] },
  { method: 'get', path: () => '/v1/dnc', keys: [] },
  { method: 'delete', path: () => '/v1/dnc', keys: ['phones', 'defaultRegion'] },
  { method: 'post', path: () => '/v1/webhooks', keys: ['url', 'events', 'secret'] },
  { method: 'get', path: (id) => `/v1/webhooks/${id}`, keys: [], realId: () => ids.webhook },
  { method: 'get', path: (id) => `/v1/webhooks/${id}/deliveries`, keys: [], realId: () => ids.webhook },
  {
    method: 'post',
    path: (id) => `/v1/deliveries/${id}/replay`,
    keys: [],
    realId: () => crypto.randomUUID(),
  },
  { method: 'post', path: () => '/v1/orgs', keys: ['name', 'maxConcurrency'] },
];

describe('fuzzing every route', () => {
  it.each(routes.map((r) => [`${r.method.toUpperCase()} ${r.path(':id')}`, r] as const))(
    '%s answers only contract errors and writes nothing when it refuses',
    async (_name, route) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            id: route.realId ? fc.oneof(idArb, fc.constant('real')) : fc.constant(''),
            body: bodyFor(route.keys),
            query: queryArb,
            rawBody: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
            contentType: fc.constantFrom(
              'application/json',
              'text/csv',
              'text/plain',
              'application/x-www-form-urlencoded',
            ),
          }),
          async ({ id, body, query, rawBody, contentType }) => {
            const path = route.path(id === 'real' && route.realId ? route.realId() : encodeURIComponent(id));
            const before = await footprint();
            let req = h.http[route.method](path)
              .query(query)
              .set('authorization', route.path('') === '/v1/orgs' ? `Bearer ${ADMIN_TOKEN}` : org.auth);
            if (route.method !== 'get') {
              req =
                rawBody === undefined
                  ? req.set('content-type', 'application/json').send(JSON.stringify(body))
                  : req.set('content-type', contentType).send(rawBody);
            }
            const res = await req;
            expectContractAnswer(res, `${route.method} ${path}`);
            if (res.status >= 400) expect(await footprint()).toBe(before);
          },
        ),
        { numRuns: RUNS },
      );
    },
  );

  it('never answers 5xx to hostile headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom('Bearer', 'Bearer ', 'bearer  x y', `Bearer ${'a'.repeat(600)}`),
        ),
        fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
        async (authorization, requestId) => {
          const res = await h.http
            .get('/v1/campaigns')
            .set('authorization', authorization.replace(/[^\x20-\x7e]/g, ''))
            .set('x-request-id', requestId);
          expectContractAnswer(res, authorization);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
