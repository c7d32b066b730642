// The shared dependencies a role needs, built once per process by the CLI (or by a test) and
// passed explicitly to each role's start function. No module-level singletons.
import type { Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { Config } from './config.js';
import { createDb, type Db } from './db/client.js';
import { createLogger, type Logger } from './logger.js';
import { createRegistry } from './metrics.js';
import { createQueue, queueNames, type CallEventJob, type DialJob, type WebhookJob } from './queues.js';
import { createRedis, keyspace, type Redis } from './redis.js';

export interface Queues {
  dial: Queue<DialJob>;
  callEvents: Queue<CallEventJob>;
  webhooks: Queue<WebhookJob>;
  /** The schedulers' admission tick (a BullMQ job scheduler); its jobs carry no data. */
  scheduler: Queue<Record<string, never>>;
}

export interface Runtime {
  config: Config;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  /** General-purpose connection (commands, Lua scripts, publish). */
  redis: Redis;
  /** BullMQ prefix and outdial's own key space. */
  prefix: string;
  keys: ReturnType<typeof keyspace>;
  registry: Registry;
  queues: Queues;
  /** Closes queues, Redis and the pool, in that order (workers are closed by their roles first). */
  close(): Promise<void>;
}

/** A Postgres pool sized and bounded as the config says (OUTDIAL_DB_POOL_MAX, OUTDIAL_DB_ACQUIRE_TIMEOUT_SECONDS). */
export function createConfiguredDb(config: Config, poolMax?: number): { db: Db; pool: pg.Pool } {
  return createDb(config.DATABASE_URL, {
    max: poolMax ?? config.OUTDIAL_DB_POOL_MAX,
    acquireTimeoutMs: Math.round(config.OUTDIAL_DB_ACQUIRE_TIMEOUT_SECONDS * 1000),
  });
}

export function createRuntime(
  config: Config,
  opts: { log?: Logger; registry?: Registry; poolMax?: number } = {},
): Runtime {
  const log = opts.log ?? createLogger({ level: config.LOG_LEVEL });
  const { db, pool } = createConfiguredDb(config, opts.poolMax);
  const redis = createRedis(config.REDIS_URL, 'worker');
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis.error'));
  const prefix = config.OUTDIAL_REDIS_PREFIX;
  const queues: Queues = {
    dial: createQueue<DialJob>(queueNames.dial, redis, prefix),
    callEvents: createQueue<CallEventJob>(queueNames.callEvents, redis, prefix),
    webhooks: createQueue<WebhookJob>(queueNames.webhooks, redis, prefix),
    scheduler: createQueue<Record<string, never>>(queueNames.scheduler, redis, prefix),
  };
  for (const q of Object.values(queues) as Queue[]) {
    q.on('error', (err: Error) => log.warn({ err: err.message, queue: q.name }, 'queue.error'));
  }
  return {
    config,
    log,
    db,
    pool,
    redis,
    prefix,
    keys: keyspace(prefix),
    registry: opts.registry ?? createRegistry(),
    queues,
    async close() {
      // Closing a queue whose connection is still starting rejects unhandled inside BullMQ: let
      // each get ready first (bounded, since Redis may be the thing that is gone).
      const ready = (q: Queue) =>
        Promise.race([q.waitUntilReady().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      await Promise.all(Object.values(queues).map(ready));
      await Promise.all(Object.values(queues).map((q: Queue) => q.close()));
      redis.disconnect();
      await db.destroy();
    },
  };
}
