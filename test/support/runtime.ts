// A Runtime (src/core/runtime.ts) over a private database and Redis prefix, for integration tests.
import { createHash } from 'node:crypto';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRuntime, type Runtime } from '../../src/core/runtime.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from './redis.js';
import { withTimeout } from '../../src/core/timeout.js';

/** Deterministic, and strong enough for the secrets policy (src/core/secret-policy.ts). */
export const TEST_ADMIN_TOKEN = createHash('sha256').update('outdial test admin token').digest('base64url');

export interface TestRuntime extends Runtime {
  testDb: TestDatabase;
  /** Closes the runtime, drops the database and the Redis prefix. */
  teardown(): Promise<void>;
}

export async function createTestRuntime(label: string, env: Record<string, string> = {}): Promise<TestRuntime> {
  const testDb = await createTestDatabase(label);
  const prefix = testPrefix(label);
  const config: Config = loadConfig({
    DATABASE_URL: testDb.url,
    REDIS_URL: TEST_REDIS_URL,
    OUTDIAL_REDIS_PREFIX: prefix,
    OUTDIAL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  // The runtime gets its own pool on the test database; the helper's pool is closed by drop().
  const rt = createRuntime(config, { log: createLogger({ level: config.LOG_LEVEL }) });
  // Redis-backed guards (rate limits, failed-auth counts, import slots) let requests through while
  // their connection is still starting; a test of those guards must not race the connect. Bounded:
  // some tests point the runtime at a Redis that is down on purpose.
  await withTimeout(rt.redis.ping(), 5_000, 'test redis ping').catch(() => undefined);
  return Object.assign(rt, {
    testDb,
    async teardown() {
      await rt.close();
      await testDb.drop();
      await dropPrefix(prefix);
    },
  });
}
