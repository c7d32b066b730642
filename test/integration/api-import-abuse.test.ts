// Hostile uploads to POST /v1/campaigns/:id/batches (issue 19, items 1 and 2): uploads that stall
// mid-body hold no database connection and are cut off by the idle timeout; an org runs a bounded
// number of imports at once (across API processes); files with absurd shapes are refused with a
// 422 naming the limit, without blocking the event loop.
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createRuntime } from '../../src/core/runtime.js';
import { createApp } from '../../src/producers/app.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';
import { waitFor } from '../support/wait.js';

const POOL = 4;
const IMPORTS_PER_ORG = 2;
let h: ApiHarness;
let server: Server;
let port: number;
let requestsSeen = 0;

type Org = Awaited<ReturnType<ApiHarness['createOrg']>> & { campaignId: string };

beforeAll(async () => {
  h = await createApiHarness(
    'api_import_abuse',
    {},
    {
      OUTDIAL_DB_POOL_MAX: String(POOL),
      OUTDIAL_IMPORTS_PER_ORG: String(IMPORTS_PER_ORG),
      OUTDIAL_UPLOAD_IDLE_TIMEOUT_SECONDS: '3',
      OUTDIAL_API_RATE_LIMIT: '100000',
    },
  );
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('request', () => requestsSeen++);
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.teardown();
});

async function orgWithCampaign(name: string): Promise<Org> {
  const org = await h.createOrg(name);
  const res = await h.http
    .post('/v1/campaigns')
    .set('authorization', org.auth)
    .send({ name: 'Rx', mode: 'one_way', message: 'Hi {{first_name}}', defaultRegion: 'US' })
    .expect(201);
  return { ...org, campaignId: (res.body as { id: string }).id };
}

interface RawUpload {
  /** The status and body the server answered with, once it answered. */
  response: Promise<{ status: number; body: string }>;
  answered: () => boolean;
  /** Resolves when the connection is gone. */
  closed: Promise<void>;
  abort(): void;
}

/** A CSV upload that declares a megabyte, sends the header and a few rows, then stalls. */
function stalledUpload(org: Org): RawUpload {
  let answered = false;
  const req = httpRequest({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path: `/v1/campaigns/${org.campaignId}/batches?name=stalled&maxConcurrency=1`,
    agent: false,
    headers: { authorization: org.auth, 'content-type': 'text/csv', 'content-length': 1_000_000 },
  });
  const response = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
  });
  const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
  // The server may cut the connection; the answer (or its absence) is what the tests check.
  req.on('error', () => undefined);
  req.write('phone,first_name\n2025550101,Ann\n2025550102,Bob\n2025550103,Cy\n');
  return { response, answered: () => answered, closed, abort: () => req.destroy() };
}

function postCsv(org: Org, csv: string | Buffer) {
  return h.http
    .post(`/v1/campaigns/${org.campaignId}/batches`)
    .query({ name: 'batch', maxConcurrency: '1' })
    .set('authorization', org.auth)
    .set('content-type', 'text/csv')
    .send(csv);
}

async function slotsHeld(org: Org): Promise<number> {
  return h.rt.redis.zcard(h.rt.keys.key('imports', org.id));
}

async function openTransactions(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and state like 'idle in transaction%'`.execute(h.rt.testDb.db);
  return rows[0]?.n ?? 0;
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1] ?? Number.NaN;
}

describe('stalled uploads', () => {
  it('hold no database connection: another org stays fast and /readyz green until the idle timeout ends them', async () => {
    const attackers = await Promise.all([1, 2, 3].map((i) => orgWithCampaign(`Attacker ${i}`)));
    const victim = await orgWithCampaign('Victim');
    const before = requestsSeen;
    // Six stalled uploads against a pool of four.
    const uploads = attackers.flatMap((org) =>
      Array.from({ length: IMPORTS_PER_ORG }, () => stalledUpload(org)),
    );
    await waitFor(() => requestsSeen - before >= uploads.length, { what: 'the uploads to reach the server' });
    await waitFor(
      async () => (await Promise.all(attackers.map(slotsHeld))).every((n) => n === IMPORTS_PER_ORG),
      {
        what: 'every attacker’s import slots to be taken',
      },
    );

    const durations: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/campaigns`, {
        headers: { authorization: victim.auth },
        signal: AbortSignal.timeout(2000),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      durations.push(performance.now() - started);
    }
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    expect(ready.status).toBe(200);
    expect(await openTransactions()).toBe(0);
    expect(uploads.filter((u) => u.answered())).toEqual([]);
    expect(p99(durations)).toBeLessThan(200);

    for (const u of uploads) {
      const { status, body } = await u.response;
      expect(status).toBe(408);
      expect(JSON.parse(body)).toMatchObject({
        error: { code: 'request_timeout', message: 'the upload stalled: no data for 3 s' },
      });
      await u.closed;
    }
    for (const org of attackers) expect(await slotsHeld(org)).toBe(0);
    const batches = await h.rt.db.selectFrom('batches').select('id').where('name', '=', 'stalled').execute();
    expect(batches).toEqual([]);
  }, 30_000);
});

describe('concurrent imports per org', () => {
  it('answers 429 past the org’s limit, in every API process, and lets the org import again once a slot is free', async () => {
    const busy = await orgWithCampaign('Busy');
    const other = await orgWithCampaign('Other');
    const uploads = [stalledUpload(busy), stalledUpload(busy)];
    await waitFor(async () => (await slotsHeld(busy)) === IMPORTS_PER_ORG, {
      what: 'both slots to be taken',
    });

    const csv = 'phone,first_name\n2025550111,Ann\n';
    const refused = await postCsv(busy, csv);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toMatchObject({
      error: {
        code: 'rate_limited',
        message: `this org already has ${IMPORTS_PER_ORG} imports in progress (the limit)`,
        details: { limit: 'importsPerOrg', max: IMPORTS_PER_ORG },
      },
    });
    const json = await h.http
      .post(`/v1/campaigns/${busy.campaignId}/batches`)
      .set('authorization', busy.auth)
      .send({ name: 'json', maxConcurrency: 1, contacts: [{ phone: '2025550112', first_name: 'A' }] });
    expect(json.status).toBe(429);
    expect((await postCsv(other, csv)).status).toBe(201);

    // A second API process (its own runtime and Redis connection) sees the same slots.
    const rt2 = createRuntime(h.rt.config, { log: createLogger({ level: 'silent' }) });
    const server2 = createApp(rt2).listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server2.once('listening', resolve));
      const res = await fetch(
        `http://127.0.0.1:${(server2.address() as AddressInfo).port}/v1/campaigns/${busy.campaignId}/batches?name=x&maxConcurrency=1`,
        { method: 'POST', headers: { authorization: busy.auth, 'content-type': 'text/csv' }, body: csv },
      );
      expect(res.status).toBe(429);
    } finally {
      server2.closeAllConnections();
      await new Promise((resolve) => server2.close(resolve));
      await rt2.close();
    }

    // A client that hangs up mid-upload gives its slot back at once.
    uploads[0]!.abort();
    await waitFor(async () => (await slotsHeld(busy)) === IMPORTS_PER_ORG - 1, {
      what: 'the aborted upload’s slot',
    });
    expect((await postCsv(busy, csv)).status).toBe(201);
    uploads[1]!.abort();
    await waitFor(async () => (await slotsHeld(busy)) === 0, { what: 'every slot to be free' });
  }, 30_000);
});

describe('files with absurd shapes', () => {
  it('refuses a million columns with 422 naming the limit, without blocking the event loop', async () => {
    const org = await orgWithCampaign('Wide');
    // The file: a million distinct column names, about 8.9 MB.
    const names = Array.from({ length: 1_000_000 }, (_, i) => `v${i + 100_000}`).join(',');
    const wide = Buffer.from(`phone,first_name,${names}\n2025550101,Ann\n`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let res;
    try {
      res = await postCsv(org, wide);
    } finally {
      delay.disable();
    }
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      error: {
        code: 'unprocessable',
        message: 'the header has more than 200 columns (the limit)',
        details: { limit: 'maxColumns', max: 200 },
      },
    });
    // The bar is ~50 ms; the margin is for a loaded two-core CI machine.
    expect(delay.max / 1e6).toBeLessThan(200);
    expect(await h.rt.db.selectFrom('batches').select('id').where('org_id', '=', org.id).execute()).toEqual(
      [],
    );
  }, 60_000);

  it('refuses a huge header and a huge record with 422 naming each limit', async () => {
    const org = await orgWithCampaign('Huge');
    const header = await postCsv(org, `phone,first_name,${'n'.repeat(70_000)}\n2025550101,Ann,x\n`);
    expect(header.status).toBe(422);
    expect(header.body).toMatchObject({ error: { details: { limit: 'maxHeaderBytes', max: 65536 } } });
    const record = await postCsv(
      org,
      `phone,first_name\n2025550101,Ann\n2025550102,"${'x'.repeat(2_000_000)}"\n`,
    );
    expect(record.status).toBe(422);
    expect(record.body).toMatchObject({
      error: {
        message: 'the record starting on line 3 is larger than 1048576 bytes (the limit)',
        details: { limit: 'maxRecordBytes', line: 3 },
      },
    });
    const json = await h.http
      .post(`/v1/campaigns/${org.campaignId}/batches`)
      .set('authorization', org.auth)
      .send({
        name: 'json',
        maxConcurrency: 1,
        contacts: [Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, 'v']))],
      });
    expect(json.status).toBe(422);
    expect(json.body).toMatchObject({ error: { details: { limit: 'maxColumns', max: 200 } } });
  });
});
