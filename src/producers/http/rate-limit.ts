// Per-API-key rate limiting: a fixed window per org in Redis (rate-limiter-flexible), so the
// limit holds across every API process. When Redis is unreachable the API fails open (with a
// warning) rather than refusing all traffic: Redis holds only work in flight, not authority.
import type { RequestHandler } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../core/errors.js';
import type { Redis } from '../../core/redis.js';
import { requestLog, requestOrg } from './context.js';

export interface RateLimitOptions {
  /** Requests allowed per key in each window. */
  points: number;
  windowSeconds: number;
}

export function rateLimitByOrg(redis: Redis, keyPrefix: string, opts: RateLimitOptions): RequestHandler {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points: opts.points,
    duration: opts.windowSeconds,
    rejectIfRedisNotReady: true,
  });
  return async (_req, res, next) => {
    const org = requestOrg(res);
    try {
      const r = await limiter.consume(org.id);
      res.setHeader('ratelimit-limit', opts.points);
      res.setHeader('ratelimit-remaining', r.remainingPoints);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        res.setHeader('retry-after', Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
        throw new RateLimitedError('too many requests for this API key');
      }
      requestLog(res).warn(
        { err: err instanceof Error ? err.message : String(err) },
        'ratelimit.unavailable',
      );
    }
    next();
  };
}
