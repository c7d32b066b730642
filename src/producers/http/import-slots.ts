// Per-org limit on contact imports in flight, across every API process: each import holds a lease
// in a Redis sorted set per org (takeImportSlot-1.lua), renewed while it runs and scored by expiry,
// so a process that dies mid-import frees its slot within IMPORT_LEASE_MS. Like the rate limit, it
// fails open when Redis is unreachable (with a warning): Redis holds work in flight, not authority.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../core/logger.js';
import type { keyspace, Redis } from '../../core/redis.js';
import { withTimeout } from '../../core/timeout.js';

export const IMPORT_LEASE_MS = 60_000;
/** A Redis that does not answer this fast is treated as unreachable. */
const REDIS_WAIT_MS = 2000;

export interface ImportSlot {
  /** Gives the slot back (idempotent). */
  release(): Promise<void>;
}

export interface ImportSlots {
  /** One of the org's slots, or null when all `limit` are taken. */
  take(orgId: string, log: Logger): Promise<ImportSlot | null>;
}

interface SlotCommands {
  odTakeImportSlot(key: string, ttlMs: number, limit: number, id: string): Promise<number>;
}

let source: string | undefined;
function script(): string {
  source ??= readFileSync(new URL('./import-slots/takeImportSlot-1.lua', import.meta.url), 'utf8');
  return source;
}

export function createImportSlots(
  redis: Redis,
  keys: ReturnType<typeof keyspace>,
  limit: number,
): ImportSlots {
  if (!('odTakeImportSlot' in redis))
    redis.defineCommand('odTakeImportSlot', { lua: script(), numberOfKeys: 1 });
  const r = redis as Redis & SlotCommands;
  const ready = () => redis.status === 'ready';
  const call = <T>(work: Promise<T>, what: string) => withTimeout(work, REDIS_WAIT_MS, what);

  return {
    async take(orgId, log) {
      const key = keys.key('imports', orgId);
      const id = randomUUID();
      const unavailable = (err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'import_slots.unavailable');
        return openSlot;
      };
      if (!ready()) return unavailable(new Error(`redis is ${redis.status}`));
      try {
        if ((await call(r.odTakeImportSlot(key, IMPORT_LEASE_MS, limit, id), 'import slot')) !== 1)
          return null;
      } catch (err) {
        return unavailable(err);
      }
      const renew = setInterval(() => {
        call(r.odTakeImportSlot(key, IMPORT_LEASE_MS, limit, id), 'import slot renewal').then(
          (held) => {
            if (held !== 1) log.warn({ orgId }, 'import_slots.lost');
          },
          (err: unknown) =>
            log.warn({ err: err instanceof Error ? err.message : String(err) }, 'import_slots.renew_failed'),
        );
      }, IMPORT_LEASE_MS / 3);
      let released: Promise<void> | undefined;
      return {
        release() {
          clearInterval(renew);
          released ??= call(redis.zrem(key, id), 'import slot release').then(
            () => undefined,
            // The lease runs out on its own; a failed release only delays the next import a little.
            (err: unknown) =>
              log.warn(
                { err: err instanceof Error ? err.message : String(err) },
                'import_slots.release_failed',
              ),
          );
          return released;
        },
      };
    },
  };
}

/** What an import holds when Redis cannot count it. */
const openSlot: ImportSlot = { release: () => Promise.resolve() };
