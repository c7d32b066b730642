// Real contact files through the HTTP edge and the CLI client: the delimiter each file uses
// (`,` `;` tab `|`, read from its header), a BOM and CRLF, the phone headers CRMs export, and an
// explicit column map. Every shape holds the same rows and must give the same import report.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchCreate, loadClientConfig } from '../../src/producers/client/index.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';

let h: ApiHarness;
let org: { id: string; apiKey: string; auth: string };
let campaignId: string;
let server: Server;

beforeAll(async () => {
  h = await createApiHarness('api_import_shapes');
  org = await h.createOrg('Org A');
  const res = await h.http
    .post('/v1/campaigns')
    .set('authorization', org.auth)
    .send({ name: 'Rx', mode: 'one_way', message: 'Hi {{first_name}}', defaultRegion: 'US' });
  campaignId = (res.body as { id: string }).id;
  await h.http.post('/v1/dnc').set('authorization', org.auth).send({ phones: ['+12025550199'] }).expect(201);
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.teardown();
});

/**
 * The same contacts in every shape. The first note spans two lines, so "banana" starts on line 4;
 * the names hold every other delimiter, which must stay inside their cell.
 */
const ROWS = [
  ['(202) 555-0101', 'Ann, Jr.; |x|', 'line one\nline two'],
  ['banana', 'Bob', ''],
  ['+1 202 555 0101', 'Ann again', ''],
  ['202-555-0199', 'Dee\tTab', ''],
  ['2025550102', 'Eve', ''],
];
const SAME_REPORT = { accepted: 2, rejected: 1, duplicates: 1, suppressed: 1, errorsOmitted: 0 };

function csvFile(header: string[], opts: { delimiter: string; eol?: string; bom?: boolean }): string {
  const eol = opts.eol ?? '\n';
  const cell = (v: string) =>
    v.includes(opts.delimiter) || /["\r\n]/.test(v) ? `"${v.replaceAll('"', '""').replaceAll('\n', eol)}"` : v;
  const lines = [header, ...ROWS].map((r) => r.map(cell).join(opts.delimiter));
  return `${opts.bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`;
}

function postCsv(csv: string, extra: Record<string, string> = {}) {
  return h.http
    .post(`/v1/campaigns/${campaignId}/batches`)
    .query({ name: 'shape', maxConcurrency: '3', ...extra })
    .set('authorization', org.auth)
    .set('content-type', 'text/csv')
    .send(Buffer.from(csv));
}

async function batchCount(): Promise<number> {
  const row = await h.rt.db.selectFrom('batches').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** `eol`: the file's line end, which a quoted line break keeps. */
async function expectSameReport(res: { status: number; body: unknown }, eol = '\n'): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const report = res.body as { batchId: string; errors: { line: number; reason: string }[] };
  expect(report, JSON.stringify(report.errors)).toMatchObject(SAME_REPORT);
  expect(report.errors.map((e) => e.line)).toEqual([4]);
  const contacts = await h.rt.db
    .selectFrom('contacts')
    .select(['phone', 'variables'])
    .where('batch_id', '=', report.batchId)
    .orderBy('phone')
    .execute();
  expect(contacts).toEqual([
    { phone: '+12025550101', variables: { first_name: 'Ann, Jr.; |x|', note: `line one${eol}line two` } },
    { phone: '+12025550102', variables: { first_name: 'Eve', note: '' } },
    // Kept, marked suppressed (on the do-not-call list).
    { phone: '+12025550199', variables: { first_name: 'Dee\tTab', note: '' } },
  ]);
}

describe('contact file shapes', () => {
  it('reads a European Excel export: UTF-8 BOM, `;` delimiter, CRLF line ends', async () => {
    const csv = csvFile(['phone', 'first_name', 'note'], { delimiter: ';', eol: '\r\n', bom: true });
    await expectSameReport(await postCsv(csv), '\r\n');
  });

  it('reads a CRM export whose phone column is "Phone Number"', async () => {
    await expectSameReport(await postCsv(csvFile(['Phone Number', 'first_name', 'note'], { delimiter: ',' })));
  });

  it('reads a tab-separated file with a phone_number column', async () => {
    await expectSameReport(await postCsv(csvFile(['phone_number', 'first_name', 'note'], { delimiter: '\t' })));
  });

  it('reads a `|`-separated file with a Tel column', async () => {
    await expectSameReport(await postCsv(csvFile(['Tel', 'first_name', 'note'], { delimiter: '|' })));
  });

  it('reads columns through an explicit map', async () => {
    const csv = csvFile(['Mobile Number', 'Given Name', 'note'], { delimiter: ';', eol: '\r\n', bom: true });
    await expectSameReport(await postCsv(csv, { map: 'Mobile Number:phone,Given Name:first_name' }), '\r\n');
  });

  it('reads JSON contacts through the same map and phone headers', async () => {
    const contacts = ROWS.map(([phone, name, note]) => ({ 'Phone Number': phone, 'Given Name': name, note }));
    const res = await h.http
      .post(`/v1/campaigns/${campaignId}/batches`)
      .query({ map: 'Given Name:first_name' })
      .set('authorization', org.auth)
      .send({ name: 'json', maxConcurrency: 2, contacts });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ ...SAME_REPORT, errors: [{ line: 2 }] });
  });

  it('passes the CLI --map to the upload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outdial-shapes-'));
    try {
      const file = join(dir, 'crm.csv');
      await writeFile(file, csvFile(['Mobile Number', 'Given Name', 'note'], { delimiter: '\t' }));
      const config = loadClientConfig({
        OUTDIAL_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        OUTDIAL_API_KEY: org.apiKey,
      });
      const report = await batchCreate(
        config,
        { out: () => undefined, progress: new PassThrough() },
        { campaignId, file, name: 'cli', maxConcurrency: 1, map: 'Mobile Number:phone,Given Name:first_name' },
      );
      await expectSameReport({ status: 201, body: report });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 422 naming a mapped column the file lacks, and 400 for a malformed map, leaving no batch', async () => {
    const before = await batchCount();
    const csv = csvFile(['Phone Number', 'first_name', 'note'], { delimiter: ';' });
    const missing = await postCsv(csv, { map: 'Phone Number:phone,Given Name:first_name' });
    expect(missing.status).toBe(422);
    const error = (missing.body as { error: { code: string; message: string; details: unknown } }).error;
    expect(error.code).toBe('unprocessable');
    expect(error.message).toContain('"Given Name"');
    expect(error.details).toEqual({ missingColumns: ['Given Name'] });
    const malformed = await postCsv(csv, { map: 'Phone Number' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect(await batchCount()).toBe(before);
  });

  it('keeps the column limit for every delimiter', async () => {
    for (const delimiter of [',', ';', '\t', '|']) {
      const header = ['phone', 'first_name', ...Array.from({ length: 200 }, (_, i) => `c${i}`)].join(delimiter);
      const res = await postCsv(`${header}\n2025550101${delimiter}Ann\n`);
      expect(res.status, JSON.stringify(delimiter)).toBe(422);
      expect(res.body).toMatchObject({ error: { details: { limit: 'maxColumns', max: 200 } } });
    }
  });
});
