// A private Postgres database per test file: created from scratch, migrated, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../src/core/db/client.js';
import { migrateToLatest, migrationsDir } from '../../src/core/db/migrate.js';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  pool: pg.Pool;
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `migrations`: the folder to migrate from (a test of one migration starts from the ones before it). */
export async function createTestDatabase(label = 'test', migrations = migrationsDir): Promise<TestDatabase> {
  const name = `od_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  await admin((c) => c.query(`create database ${name}`));
  const url = urlFor(name);
  const { db, pool } = createDb(url, { max: 10 });
  await migrateToLatest(db, migrations);
  return {
    name,
    url,
    db,
    pool,
    async drop() {
      await db.destroy();
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}
