// Redis connections. BullMQ workers need maxRetriesPerRequest: null (they block); producers
// fail fast instead of queueing commands while Redis is away.
import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

export function createRedis(url: string, kind: 'worker' | 'producer' = 'worker', extra: RedisOptions = {}): Redis {
  const opts: RedisOptions =
    kind === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...extra };
  return new Redis(url, opts);
}

/** Keys owned by outdial itself (leases, buckets, channels) live under `${prefix}:od:`. */
export function keyspace(prefix: string) {
  const base = `${prefix}:od`;
  return {
    base,
    /** Pub/sub channel: a slot was released or work became due; schedulers admit at once. */
    wakeChannel: `${base}:wake`,
    key: (...parts: string[]) => [base, ...parts].join(':'),
  };
}
