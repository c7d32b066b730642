import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateToLatest, migrationsCurrent } from '../../src/core/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('migrations');
});
afterAll(async () => {
  await t.drop();
});

describe('migrations', () => {
  it('creates every table and reports itself current; a second run applies nothing', async () => {
    expect(await migrationsCurrent(t.db)).toBe(true);
    expect(await migrateToLatest(t.db)).toEqual([]);
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public'`.execute(t.db);
    const names = rows.map((r) => r.table_name);
    for (const table of ['orgs', 'campaigns', 'batches', 'contacts', 'attempts', 'call_events', 'dnc', 'webhook_endpoints', 'webhook_deliveries', 'trunks']) {
      expect(names).toContain(table);
    }
  });
});
