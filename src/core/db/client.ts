// The Postgres pool and the Kysely instance over it. One per process, created by the role's
// entry point and passed down; closed last on shutdown.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export function createPool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: url, max, application_name: 'outdial' });
}

export function createDb(url: string, opts: { max?: number } = {}): { db: Db; pool: pg.Pool } {
  const pool = createPool(url, opts.max);
  // A pool error (e.g. Postgres restarted under an idle client) must not crash the process:
  // the next query gets a fresh connection.
  pool.on('error', () => undefined);
  // The same for a client busy with a query when Postgres goes away: that query fails on its own,
  // but an 'error' event without a listener would take the whole process down.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
