// Brute-force guard for every credential the API checks (org API keys, the admin token, the Bull
// Board login): failed attempts are counted per client address in Redis (shared by every API
// process) and, once an address has used up OUTDIAL_AUTH_FAILURE_LIMIT in the window, it is
// refused with 429 before its credential is looked at, so a blocked address costs no query.
// Successful attempts consume nothing. Like the per-key limiter, it fails open with a warning when
// Redis is unreachable: Redis holds only work in flight, not authority.
import type { Request, Response } from 'express';
import ipaddr from 'ipaddr.js';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Redis } from '../../core/redis.js';
import type { Runtime } from '../../core/runtime.js';

export const TOO_MANY_FAILURES = 'too many failed authentications from this address; retry later';

export interface AuthFailureLimits {
  /** Failures allowed per address in each window. */
  points: number;
  windowSeconds: number;
}

export interface AuthFailureLimiter {
  /** Seconds until the address may try again when it has no failures left, else null. */
  blockedFor(req: Request): Promise<number | null>;
  recordFailure(req: Request): Promise<void>;
}

/**
 * The counting key of a client address: IPv4 (also when IPv4-mapped) as is, IPv6 by its /64,
 * since one host commonly holds a whole /64 and could otherwise rotate through it.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (ip === undefined || !ipaddr.isValid(ip)) return 'unknown';
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  return `${addr.toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}

export function createAuthFailureLimiter(
  redis: Redis,
  keyPrefix: string,
  limits: AuthFailureLimits,
  log: Logger,
): AuthFailureLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points: limits.points,
    duration: limits.windowSeconds,
    rejectIfRedisNotReady: true,
  });
  const unavailable = (err: unknown) =>
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'auth_failures.unavailable');
  return {
    async blockedFor(req) {
      try {
        const state = await limiter.get(clientAddressKey(req.ip));
        if (state === null || state.consumedPoints < limits.points) return null;
        return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      } catch (err) {
        unavailable(err);
        return null;
      }
    },
    async recordFailure(req) {
      try {
        const state = await limiter.penalty(clientAddressKey(req.ip));
        if (state.consumedPoints === limits.points) log.warn({ ip: req.ip }, 'auth_failures.address_blocked');
      } catch (err) {
        unavailable(err);
      }
    },
  };
}

/** The limiter every credential check of this runtime shares (one Redis key space, so one budget per address). */
export function authFailureLimiterFor(rt: Runtime): AuthFailureLimiter {
  return createAuthFailureLimiter(
    rt.redis,
    rt.keys.key('auth-failures'),
    { points: rt.config.OUTDIAL_AUTH_FAILURE_LIMIT, windowSeconds: rt.config.OUTDIAL_AUTH_FAILURE_WINDOW_SECONDS },
    rt.log,
  );
}

/** For JSON routes: 429 in the contract shape, with retry-after, when the address is blocked. */
export async function refuseBlockedAddress(limiter: AuthFailureLimiter, req: Request, res: Response): Promise<void> {
  const wait = await limiter.blockedFor(req);
  if (wait === null) return;
  res.setHeader('retry-after', wait);
  throw new RateLimitedError(TOO_MANY_FAILURES);
}
