import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnprocessableError, ValidationError } from '../../src/core/errors.js';
import { MAX_RECORD_BYTES } from '../../src/producers/import/csv-records.js';
import { importCsvBatch, MAX_REPORTED_ERRORS, type ImportCampaign } from '../../src/producers/import/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertCampaign, insertOrg } from '../support/fixtures.js';

let t: TestDatabase;
let campaign: ImportCampaign;
const meta = { name: 'October reminders', maxConcurrency: 3, startAt: null };

beforeAll(async () => {
  t = await createTestDatabase('import_csv');
  const { org } = await insertOrg(t.db);
  const { campaign: row, config } = await insertCampaign(t.db, org.id);
  campaign = { id: row.id, orgId: org.id, config };
});
afterAll(async () => {
  await t.drop();
});

function csv(text: string | Buffer): Readable {
  return Readable.from([typeof text === 'string' ? Buffer.from(text) : text]);
}

async function importText(text: string | Buffer, maxBytes = 1e7) {
  return importCsvBatch(t.db, campaign, meta, csv(text), { maxBytes });
}

async function contactsOf(batchId: string) {
  return t.db.selectFrom('contacts').selectAll().where('batch_id', '=', batchId).orderBy('line').execute();
}

async function countBatches(): Promise<number> {
  const r = await t.db.selectFrom('batches').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('importCsvBatch', () => {
  it('creates a draft batch whose contacts carry E.164 numbers, zones, name and variables', async () => {
    const before = Date.now();
    const report = await importText(
      'phone,name,first_name,store,timezone\n' +
        '(212) 867-5309,Ann Lee,Ann,Main St,\n' +
        '+1 415 555 2671,Bo,Bo,Pier 39,Europe/Paris\n' +
        '1-800-555-0100,Cy,Cy,HQ,\n',
    );
    expect(report).toMatchObject({ accepted: 3, rejected: 0, duplicates: 0, suppressed: 0, errors: [], errorsOmitted: 0 });
    const batch = await t.db.selectFrom('batches').selectAll().where('id', '=', report.batchId).executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ status: 'draft', name: meta.name, max_concurrency: 3, org_id: campaign.orgId });
    const rows = await contactsOf(report.batchId);
    expect(rows.map((c) => [c.phone, c.timezones, c.tz_source, c.name, c.variables, c.line, c.status])).toEqual([
      ['+12128675309', ['America/New_York'], 'number', 'Ann Lee', { first_name: 'Ann', store: 'Main St' }, 2, 'pending'],
      ['+14155552671', ['Europe/Paris'], 'explicit', 'Bo', { first_name: 'Bo', store: 'Pier 39' }, 3, 'pending'],
      ['+18005550100', ['UTC'], 'country_fallback', 'Cy', { first_name: 'Cy', store: 'HQ' }, 4, 'pending'],
    ]);
    for (const c of rows) {
      expect(c.next_attempt_at!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(c.next_attempt_at!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('keeps the first of several rows with the same number and counts the rest as duplicates', async () => {
    const report = await importText('phone,first_name\n2128675309,first\n(212) 867-5309,second\n+12128675309,third\n4155552671,other\n');
    expect(report).toMatchObject({ accepted: 2, duplicates: 2, rejected: 0 });
    const rows = await contactsOf(report.batchId);
    expect(rows.map((c) => [c.phone, c.variables.first_name, c.line])).toEqual([
      ['+12128675309', 'first', 2],
      ['+14155552671', 'other', 5],
    ]);
  });

  it('stores numbers on the org’s do-not-call list as suppressed and counts them', async () => {
    await t.db.insertInto('dnc').values({ org_id: campaign.orgId, phone: '+13125550142', reason: 'asked' }).execute();
    const report = await importText('phone,first_name\n312-555-0142,Dee\n312-555-0143,Eve\n');
    expect(report).toMatchObject({ accepted: 1, suppressed: 1 });
    const rows = await contactsOf(report.batchId);
    expect(rows.map((c) => [c.phone, c.status])).toEqual([
      ['+13125550142', 'suppressed'],
      ['+13125550143', 'pending'],
    ]);
  });

  it('reports each rejected row by the line it starts on, quoted newlines included, and keeps its neighbours', async () => {
    const report = await importText(
      'phone,first_name,timezone\r\n' +
        '2128675309,"multi\r\nline\r\nname",\r\n' +
        'not a phone,x,\r\n' +
        '4155552671,"a\nb",Mars/Olympus\r\n' +
        '3125550100,ok\r\n' +
        '6175550100,fine,America/New_York\r\n',
    );
    expect(report.errors).toEqual([
      { line: 5, reason: 'phone is not a phone number' },
      { line: 6, reason: 'timezone "Mars/Olympus" is not an IANA time zone' },
      { line: 8, reason: 'expected 3 fields, found 2' },
    ]);
    expect(report).toMatchObject({ accepted: 2, rejected: 3 });
    expect((await contactsOf(report.batchId)).map((c) => c.line)).toEqual([2, 9]);
  });

  function withCell(cell: string): Readable {
    return Readable.from(
      (function* () {
        yield Buffer.from('phone,first_name\n2128675309,a\n4155552671,"');
        for (let i = 0; i < cell.length; i += 65536) yield Buffer.from(cell.slice(i, i + 65536));
        yield Buffer.from('"\n3125550100,c\n');
      })(),
    );
  }

  it('rejects a row with a cell over the cell limit without failing the file', async () => {
    const report = await importCsvBatch(t.db, campaign, meta, withCell('x'.repeat(512 * 1024)), { maxBytes: 20 * 1024 * 1024 });
    expect(report).toMatchObject({ accepted: 2, rejected: 1 });
    expect(report.errors[0]).toEqual({ line: 3, reason: 'column "first_name" is longer than 65536 characters' });
  });

  it('refuses a file with a 10 MB cell with 422 naming the record limit, leaving no batch', async () => {
    const before = await countBatches();
    const run = importCsvBatch(t.db, campaign, meta, withCell('x'.repeat(10 * 1024 * 1024)), { maxBytes: 20 * 1024 * 1024 });
    await expect(run).rejects.toMatchObject({
      status: 422,
      message: `the record starting on line 3 is larger than ${MAX_RECORD_BYTES} bytes (the limit)`,
      details: { limit: 'maxRecordBytes', line: 3 },
    });
    expect(await countBatches()).toBe(before);
  });

  it('lists the first rejections and counts the ones it leaves out', async () => {
    const bad = Array.from({ length: MAX_REPORTED_ERRORS + 250 }, () => 'nope,x').join('\n');
    const report = await importText(`phone,first_name\n2128675309,a\n${bad}\n`);
    expect(report).toMatchObject({ accepted: 1, rejected: MAX_REPORTED_ERRORS + 250, errorsOmitted: 250 });
    expect(report.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(report.errors[0]?.line).toBe(3);
  });

  it('imports a file larger than one chunk and reports progress as it goes', async () => {
    const n = 12_000;
    const lines = Array.from({ length: n }, (_, i) => `+1212555${String(i % 10_000).padStart(4, '0')},F${i}`);
    const progress: number[] = [];
    const report = await importCsvBatch(t.db, campaign, meta, csv(`phone,first_name\n${lines.join('\n')}\n`), {
      maxBytes: 1e7,
      onProgress: (rows) => progress.push(rows),
    });
    expect(report).toMatchObject({ accepted: 10_000, duplicates: 2_000, rejected: 0 });
    expect(progress.at(-1)).toBe(n);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  describe('file-level errors leave no batch behind', () => {
    it.each([
      ['an empty file', '', ValidationError],
      ['a byte-order mark alone', '\ufeff', ValidationError],
      ['a header without rows', 'phone,first_name\n', ValidationError],
      ['no phone column', 'fax,first_name\n2128675309,a\n', UnprocessableError],
      ['a template variable without a column', 'phone,name\n2128675309,a\n', UnprocessableError],
      ['unbalanced quotes', 'phone,first_name\n2128675309,"a\n4155552671,b\n', ValidationError],
      ['text that is not UTF-8', Buffer.from('phone,first_name\n2128675309,Zo\xeb\n', 'latin1'), ValidationError],
      ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), ValidationError],
      ['a NUL byte', 'phone,first_name\n2128675309,a\u0000b\n', ValidationError],
    ])('%s', async (_what, body, errorClass) => {
      const before = await countBatches();
      await expect(importText(body)).rejects.toThrow(errorClass);
      expect(await countBatches()).toBe(before);
    });

    it('an upload over the byte limit answers 413, even after rows were written', async () => {
      const before = await countBatches();
      const rows = Array.from({ length: 20_000 }, (_, i) => `+1212${String(2_000_000 + i)},F${i}`).join('\n');
      await expect(importText(`phone,first_name\n${rows}\n`, 200_000)).rejects.toThrow(PayloadTooLargeError);
      expect(await countBatches()).toBe(before);
      const orphans = await t.db.selectFrom('contacts').select('id').where('phone', '=', '+12122000000').execute();
      expect(orphans).toEqual([]);
    });

    it('the 422 for missing template columns names them', async () => {
      await expect(importText('phone,name\n2128675309,a\n')).rejects.toMatchObject({
        status: 422,
        details: { missingColumns: ['first_name'] },
      });
    });
  });
});
