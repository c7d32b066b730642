// The Postgres pool and the Kysely instance over it. One per process (the API gets its own when it
// shares a process with other roles), created by the entry point and passed down; closed last on
// shutdown. Getting a connection is bounded in time: a query that cannot have one in time fails
// with DatabaseUnavailableError (503 in the API) instead of queueing forever behind a busy pool.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { DatabaseUnavailableError } from '../errors.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface PoolOptions {
  max?: number;
  /** Wait for a free connection (and for opening a new one) at most this long; 0 or absent: forever. */
  acquireTimeoutMs?: number;
}

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.acquireTimeoutMs ?? 0,
    application_name: 'outdial',
  });
}

export function createDb(url: string, opts: PoolOptions = {}): { db: Db; pool: pg.Pool } {
  const pool = createPool(url, opts);
  // A pool error (e.g. Postgres restarted under an idle client) must not crash the process:
  // the next query gets a fresh connection.
  pool.on('error', () => undefined);
  // The same for a client busy with a query when Postgres goes away: that query fails on its own,
  // but an 'error' event without a listener would take the whole process down.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const dialectPool = {
    async connect() {
      try {
        return await pool.connect();
      } catch (err) {
        throw isAcquireTimeout(err) ? busy(err) : err;
      }
    },
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: dialectPool }) });
  return { db, pool };
}

/**
 * pg-pool's own errors for the two waits connectionTimeoutMillis bounds (a free connection, a new
 * one). Other failures (Postgres refusing, bad credentials) keep their own error and message.
 */
function isAcquireTimeout(err: unknown): boolean {
  return err instanceof Error && /timeout/i.test(err.message);
}

function busy(err: unknown): DatabaseUnavailableError {
  const e = new DatabaseUnavailableError(
    'the database is busy: no connection became available in time; retry later',
  );
  e.cause = err;
  return e;
}
