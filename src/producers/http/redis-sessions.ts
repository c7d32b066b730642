// Server-side sessions in Redis, named by a random id that a cookie carries (the Bull Board login
// and the console's API sessions both use this). Only a hash of the id is stored, so reading Redis
// does not hand out live sessions; expiry is decided on the server, and ending a session deletes
// it there, so a copied cookie replayed afterwards is refused.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from '../../core/redis.js';
import { withTimeout } from '../../core/timeout.js';

export interface RedisSessions<T> {
  /** Starts a session holding `data` for `ttlMs`; returns the cookie value. */
  create(data: T, ttlMs: number): Promise<string>;
  /** The data of the session a cookie value names, or undefined (unknown, expired, malformed). */
  read(value: unknown): Promise<T | undefined>;
  /** Replaces a live session's data and restarts its time to live; no-op when it has ended. */
  renew(value: string, data: T, ttlMs: number): Promise<void>;
  /** Ends the session a cookie value names (no-op when it names none). */
  end(value: unknown): Promise<void>;
}

const SESSION_VALUE = /^v2\.([A-Za-z0-9_-]{24})$/;
/** The worker connection queues commands while Redis is away: answer within this instead of hanging. */
const STORE_TIMEOUT_MS = 2000;

/** `parse` checks what Redis returned (JSON) and yields undefined for anything it does not accept. */
export function createRedisSessions<T>(
  redis: Redis,
  keyPrefix: string,
  parse: (stored: unknown) => T | undefined,
): RedisSessions<T> {
  const key = (id: string) => `${keyPrefix}:${createHash('sha256').update(id).digest('hex')}`;
  const idOf = (value: unknown) => (typeof value === 'string' ? SESSION_VALUE.exec(value)?.[1] : undefined);
  const bounded = <R>(work: Promise<R>) => withTimeout(work, STORE_TIMEOUT_MS, 'session store');
  return {
    async create(data, ttlMs) {
      const id = randomBytes(18).toString('base64url');
      await bounded(redis.set(key(id), JSON.stringify(data), 'PX', ttlMs));
      return `v2.${id}`;
    },
    async read(value) {
      const id = idOf(value);
      if (id === undefined) return undefined;
      const stored = await bounded(redis.get(key(id)));
      if (stored === null) return undefined;
      try {
        return parse(JSON.parse(stored));
      } catch {
        // Not JSON: written by something else under our prefix; treat as no session.
        return undefined;
      }
    },
    async renew(value, data, ttlMs) {
      const id = idOf(value);
      if (id === undefined) return;
      // XX: a session ended meanwhile (sign-out in another tab) stays ended.
      await bounded(redis.set(key(id), JSON.stringify(data), 'PX', ttlMs, 'XX'));
    },
    async end(value) {
      const id = idOf(value);
      if (id === undefined) return;
      await bounded(redis.del(key(id)));
    },
  };
}
