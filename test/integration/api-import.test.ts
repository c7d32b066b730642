// POST /v1/campaigns/:id/batches through the HTTP edge: JSON and streamed CSV bodies, the import
// report, and file-level failures (size, encoding, columns, quoting) that leave no batch behind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchCreate, loadClientConfig } from '../../src/producers/client/index.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';

const MAX_UPLOAD = 20_000;
let h: ApiHarness;
let org: { id: string; apiKey: string; auth: string };
let other: { id: string; apiKey: string; auth: string };
let campaignId: string;
let server: Server;

beforeAll(async () => {
  h = await createApiHarness('api_import', {}, { OUTDIAL_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  org = await h.createOrg('Org A');
  other = await h.createOrg('Org B');
  const res = await h.http
    .post('/v1/campaigns')
    .set('authorization', org.auth)
    .send({ name: 'Rx', mode: 'one_way', message: 'Hi {{first_name}}', defaultRegion: 'US' });
  campaignId = (res.body as { id: string }).id;
  await h.http
    .post('/v1/dnc')
    .set('authorization', org.auth)
    .send({ phones: ['+12025550199'] })
    .expect(201);
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.teardown();
});

async function batchCount(): Promise<number> {
  const row = await h.rt.db
    .selectFrom('batches')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function postCsv(
  csv: string | Buffer,
  query: Record<string, string> = { name: 'CSV batch', maxConcurrency: '3' },
) {
  return h.http
    .post(`/v1/campaigns/${campaignId}/batches`)
    .query(query)
    .set('authorization', org.auth)
    .set('content-type', 'text/csv')
    .send(csv);
}

describe('CSV upload', () => {
  it('creates a draft batch and reports accepted, rejected by line, duplicates and suppressed rows', async () => {
    const csv = [
      'phone,first_name',
      '(202) 555-0101,Ann',
      'banana,Bob',
      '+1 202 555 0101,Ann again',
      '202-555-0199,Dee',
      '2025550102,Eve',
      '',
    ].join('\r\n');
    const res = await postCsv(csv, {
      name: 'CSV batch',
      maxConcurrency: '3',
      startAt: '2030-01-01T09:00:00Z',
    });
    expect(res.status).toBe(201);
    const report = res.body as { batchId: string; errors: { line: number }[] };
    expect(report).toMatchObject({ accepted: 2, rejected: 1, duplicates: 1, suppressed: 1 });
    expect(report.errors.map((e) => e.line)).toEqual([3]);
    const status = await h.http
      .get(`/v1/batches/${report.batchId}`)
      .set('authorization', org.auth)
      .expect(200);
    expect(status.body).toMatchObject({
      status: 'draft',
      name: 'CSV batch',
      maxConcurrency: 3,
      startAt: '2030-01-01T09:00:00.000Z',
    });
  });

  it('answers 400 for missing or wrong batch meta in the query', async () => {
    const queries: Record<string, string>[] = [
      { maxConcurrency: '3' },
      { name: 'x', maxConcurrency: 'lots' },
      { name: 'x', maxConcurrency: '3', startAt: 'tomorrow' },
    ];
    for (const query of queries) {
      const res = await postCsv('phone,first_name\n2025550101,A\n', query);
      expect(res.status, JSON.stringify(query)).toBe(400);
    }
  });

  it('refuses files it cannot use with 400 or 422 and leaves no batch behind', async () => {
    const before = await batchCount();
    const cases: [string | Buffer, number][] = [
      ['', 400],
      ['name,first_name\nAnn,Ann\n', 422],
      ['phone\n2025550101\n', 422],
      ['phone,first_name\n"2025550101,Ann\n', 400],
      [Buffer.from([0x70, 0x68, 0x6f, 0x6e, 0x65, 0x0a, 0xff, 0xfe, 0x00, 0x01]), 400],
    ];
    for (const [body, status] of cases) {
      const res = await postCsv(body);
      expect(res.status, String(body)).toBe(status);
      expect(res.body).toMatchObject({
        error: { code: status === 400 ? 'invalid_request' : 'unprocessable' },
      });
    }
    expect(await batchCount()).toBe(before);
  });

  it('answers 413 at once when the declared length is over the limit', async () => {
    const before = await batchCount();
    const big = `phone,first_name\n${'2025550101,Ann\n'.repeat(2000)}`;
    const res = await postCsv(big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(await batchCount()).toBe(before);
  });

  it('answers 413 for a chunked upload that grows past the limit while streaming', async () => {
    const before = await batchCount();
    const { port } = server.address() as AddressInfo;
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: `/v1/campaigns/${campaignId}/batches?name=big&maxConcurrency=2`,
          headers: { authorization: org.auth, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      // The server may close while chunks are still going out; only the response matters.
      req.on('error', (err) =>
        err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err),
      );
      req.write('phone,first_name\n');
      let n = 0;
      const pump = () => {
        while (n < 2000 && req.write(`20255${String(10000 + n).padStart(5, '0')},Name${n}\n`)) n++;
        if (n < 2000) req.once('drain', pump);
        else req.end();
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(await batchCount()).toBe(before);
  });
  it('refuses an oversized file sent by the CLI client with 413, which the client reports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outdial-import-'));
    try {
      const file = join(dir, 'big.csv');
      await writeFile(file, `phone,first_name\n${'2025550101,Ann\n'.repeat(5000)}`);
      const config = loadClientConfig({
        OUTDIAL_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        OUTDIAL_API_KEY: org.apiKey,
      });
      const upload = batchCreate(
        config,
        { out: () => undefined, progress: new PassThrough() },
        { campaignId, file, name: 'big', maxConcurrency: 1 },
      );
      await expect(upload).rejects.toMatchObject({
        name: 'ApiError',
        status: 413,
        code: 'payload_too_large',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('JSON body', () => {
  it('imports contacts from a JSON array with the same report', async () => {
    const res = await h.http
      .post(`/v1/campaigns/${campaignId}/batches`)
      .set('authorization', org.auth)
      .send({
        name: 'JSON batch',
        maxConcurrency: 2,
        contacts: [
          { phone: '2025550111', first_name: 'A' },
          { phone: 'nope', first_name: 'B' },
        ],
      });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1, duplicates: 0, suppressed: 0 });
  });

  it('answers 400 for malformed JSON, wrong types or an unknown content type', async () => {
    const url = `/v1/campaigns/${campaignId}/batches`;
    const broken = await h.http
      .post(url)
      .set('authorization', org.auth)
      .set('content-type', 'application/json')
      .send('{"name":');
    expect(broken.status).toBe(400);
    const wrong = await h.http
      .post(url)
      .set('authorization', org.auth)
      .send({ name: 'x', maxConcurrency: '2', contacts: 'all' });
    expect(wrong.status).toBe(400);
    const paths = (wrong.body as { error: { details: { path: string }[] } }).error.details
      .map((d) => d.path)
      .sort();
    expect(paths).toEqual(['contacts', 'maxConcurrency']);
    const xml = await h.http
      .post(url)
      .set('authorization', org.auth)
      .set('content-type', 'application/xml')
      .send('<a/>');
    expect(xml.status).toBe(400);
  });

  it('answers 404 for unknown, malformed and other orgs’ campaign ids without reading the upload', async () => {
    for (const [auth, id] of [
      [org.auth, crypto.randomUUID()],
      [org.auth, 'x'],
      [other.auth, campaignId],
    ]) {
      const res = await h.http
        .post(`/v1/campaigns/${id}/batches`)
        .query({ name: 'x', maxConcurrency: '1' })
        .set('authorization', auth!)
        .set('content-type', 'text/csv')
        .send('phone,first_name\n2025550101,A\n');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: 'campaign not found' } });
    }
  });
});
