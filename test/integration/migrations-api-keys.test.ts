// Migration 0003 on a database made before it, where each org's one key lived on the org row: every
// such key moves to api_keys as an admin key named "default", with its hash unchanged, so a key
// already handed out keeps working through the API; the columns on orgs are gone.
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { migrateToLatest, migrationsCurrent, migrationsDir } from '../../src/core/db/migrate.js';
import { createLogger } from '../../src/core/logger.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import { hashApiKey, newApiKey } from '../../src/core/secrets.js';
import { createApp } from '../../src/producers/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from '../support/redis.js';

const MIGRATION = '0003_api_keys';

let t: TestDatabase;
let before: string;
let rt: Runtime | undefined;
const prefix = testPrefix('migration_api_keys');

beforeAll(async () => {
  before = await mkdtemp(join(tmpdir(), 'outdial-migrations-'));
  for (const f of await readdir(migrationsDir)) {
    if (f.endsWith('.sql') && f !== `${MIGRATION}.sql`) await copyFile(join(migrationsDir, f), join(before, f));
  }
  t = await createTestDatabase('migration_api_keys', before);
});
afterAll(async () => {
  await rt?.close();
  await t.drop();
  await dropPrefix(prefix);
  await rm(before, { recursive: true, force: true });
});

async function legacyOrg(name: string): Promise<{ id: string; key: string }> {
  const key = newApiKey();
  const { rows } = await sql<{ id: string }>`
    insert into orgs (name, max_concurrency, api_key_hash, api_key_prefix)
    values (${name}, 5, ${hashApiKey(key)}, ${key.slice(0, 8)}) returning id`.execute(t.db);
  return { id: rows[0]!.id, key };
}

describe(`migration ${MIGRATION}`, () => {
  it('keeps every org’s existing key working as its admin key "default", and drops the org columns', async () => {
    const a = await legacyOrg('A');
    const b = await legacyOrg('B');
    expect(await migrationsCurrent(t.db, before)).toBe(true);

    expect(await migrateToLatest(t.db)).toContain(MIGRATION);
    const keys = await t.db.selectFrom('api_keys').selectAll().orderBy('name').execute();
    expect(keys.map((k) => [k.org_id, k.name, k.role, k.hash, k.prefix, k.revoked_at])).toEqual(
      expect.arrayContaining([
        [a.id, 'default', 'admin', hashApiKey(a.key), a.key.slice(0, 8), null],
        [b.id, 'default', 'admin', hashApiKey(b.key), b.key.slice(0, 8), null],
      ]),
    );
    expect(keys).toHaveLength(2);
    const { rows } = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_name = 'orgs'`.execute(t.db);
    expect(rows.map((r) => r.column_name)).not.toContain('api_key_hash');
    expect(rows.map((r) => r.column_name)).not.toContain('api_key_prefix');

    rt = createRuntime(
      loadConfig({ DATABASE_URL: t.url, REDIS_URL: TEST_REDIS_URL, OUTDIAL_REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' }),
      { log: createLogger({ level: 'silent' }) },
    );
    const http = supertest(createApp(rt));
    await http.get('/v1/campaigns').set('authorization', `Bearer ${a.key}`).expect(200);
    const listed = await http.get('/v1/keys').set('authorization', `Bearer ${b.key}`).expect(200);
    expect((listed.body as { items: { name: string; role: string }[] }).items).toMatchObject([
      { name: 'default', role: 'admin' },
    ]);
  });
});
