// The admin session. The cookie is signed (key derived from OUTDIAL_ADMIN_TOKEN, so rotating the
// token ends every session at once) and HttpOnly, and holds only a random session id; the session
// itself lives in Redis with the session's TTL, so expiry is decided on the server and logging out
// ends the session there: a copied cookie replayed after logout is refused.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request } from 'express';
import type { Redis } from '../../core/redis.js';
import { bearerCredential } from '../../core/secrets.js';
import { withTimeout } from '../../core/timeout.js';

export const ADMIN_USER = 'admin';
export const SESSION_COOKIE = 'outdial_admin_session';
export const CSRF_COOKIE = 'XSRF-TOKEN'; // the name Bull Board's axios client reads
export const DEFAULT_SESSION_TTL_MS = 12 * 3600 * 1000;

/** Key for cookie signatures and CSRF tokens, separate per purpose. */
export function deriveSecret(adminToken: string, purpose: 'session' | 'csrf'): string {
  return createHmac('sha256', adminToken).update(`outdial-admin-${purpose}`).digest('hex');
}

/** Constant-time comparison of user and password against `admin` / the admin token. */
export function credentialsMatch(user: unknown, password: unknown, adminToken: string): boolean {
  if (typeof user !== 'string' || typeof password !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const userOk = timingSafeEqual(digest(user), digest(ADMIN_USER));
  const passOk = timingSafeEqual(digest(password), digest(adminToken));
  return userOk && passOk;
}

/** The bearer credential of the request, if it sends one. */
export function bearerToken(req: Request): string | undefined {
  return bearerCredential(req.headers.authorization) ?? undefined;
}

/** `Authorization: Bearer <admin token>` for scripts; a browser never sends it on its own, so it needs no CSRF token. */
export function bearerMatches(req: Request, adminToken: string): boolean {
  const token = bearerToken(req);
  return token !== undefined && credentialsMatch(ADMIN_USER, token, adminToken);
}

export interface SessionStore {
  /** Starts a session; returns the cookie value. */
  create(): Promise<string>;
  /** The signed cookie's value when it names a live session, else undefined. */
  current(req: Request): Promise<string | undefined>;
  /** Ends the session the cookie value names (no-op when it names none). */
  end(value: string): Promise<void>;
}

const SESSION_VALUE = /^v2\.([A-Za-z0-9_-]{24})$/;
/** The worker connection queues commands while Redis is away: answer within this instead of hanging. */
const STORE_TIMEOUT_MS = 2000;

export function createSessionStore(redis: Redis, keyPrefix: string, ttlMs: number): SessionStore {
  // Only a hash of the id is stored, so reading Redis does not hand out live sessions.
  const key = (id: string) => `${keyPrefix}:${createHash('sha256').update(id).digest('hex')}`;
  const bounded = <T>(work: Promise<T>) => withTimeout(work, STORE_TIMEOUT_MS, 'admin session store');
  return {
    async create() {
      const id = randomBytes(18).toString('base64url');
      await bounded(redis.set(key(id), String(Date.now()), 'PX', ttlMs));
      return `v2.${id}`;
    },
    async current(req) {
      const value: unknown = (req.signedCookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
      const id = typeof value === 'string' ? SESSION_VALUE.exec(value)?.[1] : undefined;
      if (id === undefined) return undefined;
      return (await bounded(redis.exists(key(id)))) === 1 ? (value as string) : undefined;
    },
    async end(value) {
      const id = SESSION_VALUE.exec(value)?.[1];
      if (id === undefined) return;
      await bounded(redis.del(key(id)));
    },
  };
}

export function sessionCookieOptions(req: Request, basePath: string, ttlMs: number): CookieOptions {
  return { httpOnly: true, signed: true, sameSite: 'strict', secure: req.secure, path: basePath, maxAge: ttlMs };
}
