// Postgres pools under pressure: a query that cannot get a connection fails after the acquire
// timeout instead of hanging, and under `serve` the API has a pool of its own, so a busy roles'
// pool (scheduler, dialer, sinks) never stalls API requests, and the other way round.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDb } from '../../src/core/db/client.js';
import { DatabaseUnavailableError } from '../../src/core/errors.js';
import { startRoles } from '../../src/roles.js';
import { insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await createTestRuntime('db_pools', {
    OUTDIAL_DB_POOL_MAX: '2',
    OUTDIAL_DB_ACQUIRE_TIMEOUT_SECONDS: '0.3',
  });
});
afterAll(async () => {
  await rt.teardown();
});

/** Checks out every connection of the pool until the returned function is called. */
async function exhaust(pool: pg.Pool, size: number): Promise<() => void> {
  const held = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  return () => held.forEach((c) => c.release());
}

describe('pool acquire timeout', () => {
  it('fails a query that waits for a connection after the timeout, with a 503 error, instead of hanging', async () => {
    const { db, pool } = createDb(rt.testDb.url, { max: 1, acquireTimeoutMs: 200 });
    try {
      const release = await exhaust(pool, 1);
      const started = Date.now();
      const outcome = await Promise.race([
        sql`select 1`.execute(db).then(
          () => 'answered',
          (err: unknown) => err,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000)),
      ]);
      release();
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect(outcome).toMatchObject({ status: 503, code: 'unavailable' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      // The pool is usable again once a connection is free.
      await expect(sql`select 1 as one`.execute(db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await db.destroy();
    }
  });

  it('leaves other connection failures as they are', async () => {
    const { db } = createDb('postgres://nobody@127.0.0.1:1/none', { max: 1, acquireTimeoutMs: 2000 });
    try {
      const err: unknown = await sql`select 1`.execute(db).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(DatabaseUnavailableError);
      expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await db.destroy();
    }
  });

  it('takes the acquire timeout and the pool size from the config', () => {
    expect(rt.pool.options.max).toBe(2);
    expect(rt.pool.options.connectionTimeoutMillis).toBe(300);
  });
});

describe('serve: the API’s own pool', () => {
  it('answers API requests while the roles’ pool is exhausted', async () => {
    const { apiKey } = await insertOrg(rt.db);
    const running = await startRoles(rt, ['api', 'scheduler'], { port: 0 });
    const release = await exhaust(rt.pool, 2);
    try {
      const started = Date.now();
      const res = await fetch(`${running.apiUrl!}/v1/campaigns`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(3000),
      });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(300);
      const ready = await fetch(`${running.apiUrl!}/readyz`, { signal: AbortSignal.timeout(3000) });
      expect(ready.status).toBe(200);
    } finally {
      release();
      await running.close();
    }
  });

  it('keeps the runtime’s pool for the API when it runs alone', async () => {
    const { apiKey } = await insertOrg(rt.db);
    const running = await startRoles(rt, ['api'], { port: 0 });
    const release = await exhaust(rt.pool, 2);
    try {
      const res = await fetch(`${running.apiUrl!}/v1/campaigns`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(3000),
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    } finally {
      release();
      await running.close();
    }
  });
});
