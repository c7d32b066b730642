// The admin session. The cookie is signed (key derived from OUTDIAL_ADMIN_TOKEN, so rotating the
// token ends every session at once) and HttpOnly, and holds only a random session id; the session
// itself lives in Redis with the session's TTL (http/redis-sessions.ts), so expiry is decided on
// the server and logging out ends the session there: a copied cookie replayed after logout is refused.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request } from 'express';
import type { Redis } from '../../core/redis.js';
import { bearerCredential } from '../../core/secrets.js';
import { createRedisSessions } from '../http/redis-sessions.js';

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

export function createSessionStore(redis: Redis, keyPrefix: string, ttlMs: number): SessionStore {
  // The session holds only its start time: being signed in is all the board needs to know.
  const sessions = createRedisSessions(redis, keyPrefix, (s) => (typeof s === 'number' ? s : undefined));
  return {
    create: () => sessions.create(Date.now(), ttlMs),
    async current(req) {
      const value: unknown = (req.signedCookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
      return (await sessions.read(value)) === undefined ? undefined : (value as string);
    },
    end: (value) => sessions.end(value),
  };
}

export function sessionCookieOptions(req: Request, basePath: string, ttlMs: number): CookieOptions {
  return { httpOnly: true, signed: true, sameSite: 'strict', secure: req.secure, path: basePath, maxAge: ttlMs };
}
