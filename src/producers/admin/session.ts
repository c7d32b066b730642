// The admin session: a signed, HttpOnly cookie holding only the time it was issued. The signing
// key is derived from OUTDIAL_ADMIN_TOKEN, so rotating the token ends every session at once;
// expiry is checked on the server, not left to the browser.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request } from 'express';

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

/** `Authorization: Bearer <admin token>` for scripts; a browser never sends it on its own, so it needs no CSRF token. */
export function bearerMatches(req: Request, adminToken: string): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  return credentialsMatch(ADMIN_USER, header.slice('Bearer '.length), adminToken);
}

export function newSessionValue(now = Date.now()): string {
  return `v1.${now}`;
}

/** The signed session cookie's value if it is present, well-formed and not expired. */
export function validSession(req: Request, ttlMs: number, now = Date.now()): string | undefined {
  const value: unknown = (req.signedCookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
  if (typeof value !== 'string') return undefined;
  const issued = /^v1\.(\d+)$/.exec(value)?.[1];
  if (issued === undefined) return undefined;
  const age = now - Number(issued);
  return age >= 0 && age < ttlMs ? value : undefined;
}

export function sessionCookieOptions(req: Request, basePath: string, ttlMs: number): CookieOptions {
  return { httpOnly: true, signed: true, sameSite: 'strict', secure: req.secure, path: basePath, maxAge: ttlMs };
}
