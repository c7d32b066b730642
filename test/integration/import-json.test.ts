import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnprocessableError, ValidationError } from '../../src/core/errors.js';
import { importJsonBatch, type ImportCampaign } from '../../src/producers/import/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertCampaign, insertOrg } from '../support/fixtures.js';

let t: TestDatabase;
let campaign: ImportCampaign;
const meta = { name: 'JSON batch', maxConcurrency: 2, startAt: new Date('2030-01-01T15:00:00Z') };
const opts = { maxBytes: 1e6 };

beforeAll(async () => {
  t = await createTestDatabase('import_json');
  const { org } = await insertOrg(t.db);
  const { campaign: row, config } = await insertCampaign(t.db, org.id, {
    defaultRegion: 'GB',
    schedule: {
      timezoneFallback: 'Europe/London',
      weekly: { mon: [['09:00', '17:00']] },
      quietHours: ['08:00', '21:00'],
      allowQuietHours: false,
      blackoutDates: [],
    },
  });
  campaign = { id: row.id, orgId: org.id, config };
});
afterAll(async () => {
  await t.drop();
});

async function countBatches(): Promise<number> {
  const r = await t.db.selectFrom('batches').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('importJsonBatch', () => {
  it('imports contacts with the campaign’s default region and keeps the start time on the batch', async () => {
    const report = await importJsonBatch(
      t.db,
      campaign,
      meta,
      [
        { phone: '07911 123456', first_name: 'Ann', visits: 3 },
        { phone: '+1 212 867 5309', first_name: 'Bo', timezone: 'America/Chicago', name: 'Bo B' },
      ],
      opts,
    );
    expect(report).toMatchObject({ accepted: 2, rejected: 0 });
    const batch = await t.db.selectFrom('batches').selectAll().where('id', '=', report.batchId).executeTakeFirstOrThrow();
    expect(batch.start_at?.toISOString()).toBe('2030-01-01T15:00:00.000Z');
    const rows = await t.db.selectFrom('contacts').selectAll().where('batch_id', '=', report.batchId).orderBy('line').execute();
    expect(rows.map((c) => [c.phone, c.tz_source, c.name, c.variables, c.line])).toEqual([
      ['+447911123456', 'number', null, { first_name: 'Ann', visits: '3' }, 1],
      ['+12128675309', 'explicit', 'Bo B', { first_name: 'Bo', visits: '' }, 2],
    ]);
  });

  it('rejects contacts that are not objects or hold nested values, by position, and keeps the rest', async () => {
    const report = await importJsonBatch(
      t.db,
      campaign,
      meta,
      ['07911 123457', { phone: '07911 123458', first_name: { nested: true } }, { phone: '07911 123459', first_name: 'ok' }, null],
      opts,
    );
    expect(report.errors).toEqual([
      { line: 1, reason: 'contact is not an object' },
      { line: 2, reason: 'field "first_name" must be a string or a number' },
      { line: 4, reason: 'contact is not an object' },
    ]);
    expect(report).toMatchObject({ accepted: 1, rejected: 3 });
  });

  it('rejects text Postgres cannot store instead of failing the batch', async () => {
    const report = await importJsonBatch(
      t.db,
      campaign,
      meta,
      [
        { phone: '07911 123460', first_name: 'nul\u0000here' },
        { phone: '07911 123461', first_name: 'lone \ud800 surrogate' },
        { phone: '07911 123462', first_name: 'fine' },
      ],
      opts,
    );
    expect(report).toMatchObject({ accepted: 1, rejected: 2 });
  });

  it.each([
    ['no contacts', [], ValidationError],
    ['no phone field', [{ fax: '07911 123456', first_name: 'a' }], UnprocessableError],
    ['a template variable no contact has', [{ phone: '07911 123456' }], UnprocessableError],
  ])('refuses %s and leaves no batch behind', async (_what, contacts: unknown[], errorClass) => {
    const before = await countBatches();
    await expect(importJsonBatch(t.db, campaign, meta, contacts, opts)).rejects.toThrow(errorClass);
    expect(await countBatches()).toBe(before);
  });
});
