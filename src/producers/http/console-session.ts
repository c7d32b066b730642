// Console sessions: POST /v1/session exchanges an API key for a session cookie, so the key never
// sits in browser storage. The cookie holds only a random id (HttpOnly, SameSite=Strict, Secure
// when the request came over TLS as OUTDIAL_TRUST_PROXY lets express see it); the session lives in
// Redis (http/redis-sessions.ts) with the key's id and role and its own CSRF secret. A session
// unused for OUTDIAL_SESSION_IDLE_MINUTES ends, and none outlives MAX_SESSION_MS. Every request
// looks the key up again (auth.ts), so revoking the key ends its sessions at once.
// State-changing requests made with the cookie need the double-submit CSRF token (csrf-csrf,
// bound to the session by an HMAC under the session's secret) in X-CSRF-Token; bearer requests
// need none, since a browser never adds an Authorization header on its own.
import { randomBytes } from 'node:crypto';
import { doubleCsrf } from 'csrf-csrf';
import type { CookieOptions, Request, Response } from 'express';
import { z } from 'zod';
import { apiRoles, type ApiRole } from '../../core/api-roles.js';
import { AppError } from '../../core/errors.js';
import type { Redis } from '../../core/redis.js';
import { requestKey } from './context.js';
import { createRedisSessions } from './redis-sessions.js';

export const CONSOLE_SESSION_COOKIE = 'outdial_session';
export const CONSOLE_CSRF_COOKIE = 'outdial_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const COOKIE_PATH = '/v1';
/** However busy, a session ends this long after sign-in. */
export const MAX_SESSION_MS = 12 * 3600 * 1000;

export class CsrfRejectedError extends AppError {
  override readonly name = 'CsrfRejectedError';
  readonly status = 403;
  readonly code = 'csrf_invalid';
}

const sessionDataSchema = z.object({
  keyId: z.uuid(),
  role: z.enum(apiRoles),
  csrfSecret: z.string().min(32),
  startedMs: z.number(),
  lastSeenMs: z.number(),
});
export type ConsoleSessionData = z.infer<typeof sessionDataSchema>;

export interface ConsoleSessions {
  readonly idleMs: number;
  start(key: { id: string; role: ApiRole }): Promise<{ value: string; data: ConsoleSessionData }>;
  /** The live session a cookie value names, renewed; undefined when unknown, idle too long or too old. */
  resume(value: unknown): Promise<ConsoleSessionData | undefined>;
  end(value: unknown): Promise<void>;
  /** A CSRF token for the request's session (set as a cookie too); reuses a valid one unless `fresh`. */
  issueCsrfToken(req: Request, res: Response, fresh: boolean): string;
  /** True when a cookie-session request carries the session's CSRF token in header and cookie. */
  csrfValid(req: Request): boolean;
}

function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: req.secure, path: COOKIE_PATH };
}

export function setSessionCookie(req: Request, res: Response, value: string): void {
  res.cookie(CONSOLE_SESSION_COOKIE, value, cookieOptions(req));
}

export function clearSessionCookies(req: Request, res: Response): void {
  res.clearCookie(CONSOLE_SESSION_COOKIE, cookieOptions(req));
  res.clearCookie(CONSOLE_CSRF_COOKIE, cookieOptions(req));
}

/** The session cookie's value, if the request sends one. */
export function sessionCookie(req: Request): unknown {
  return (req.cookies as Record<string, unknown> | undefined)?.[CONSOLE_SESSION_COOKIE];
}

/** The session of the request being served (set by auth or sign-in), for csrf-csrf's lookups. */
function sessionOf(req: Request | undefined): { value: string; csrfSecret: string } {
  const session = req?.res ? requestKey(req.res).session : undefined;
  if (!session) throw new Error('CSRF lookup on a request without a console session');
  return session;
}

export function createConsoleSessions(
  redis: Redis,
  keyPrefix: string,
  opts: { idleMs: number; now: () => Date },
): ConsoleSessions {
  const store = createRedisSessions(redis, keyPrefix, (s) => sessionDataSchema.safeParse(s).data);
  const csrf = doubleCsrf({
    getSecret: (req) => sessionOf(req).csrfSecret,
    getSessionIdentifier: (req) => sessionOf(req).value,
    cookieName: CONSOLE_CSRF_COOKIE,
    cookieOptions: { httpOnly: true, sameSite: 'strict', path: COOKIE_PATH },
    getCsrfTokenFromRequest: (req) => req.get(CSRF_HEADER),
  });
  const ttl = (data: ConsoleSessionData, nowMs: number) =>
    Math.max(1, Math.min(opts.idleMs, data.startedMs + MAX_SESSION_MS - nowMs));
  return {
    idleMs: opts.idleMs,
    async start(key) {
      const nowMs = opts.now().getTime();
      const data: ConsoleSessionData = {
        keyId: key.id,
        role: key.role,
        csrfSecret: randomBytes(32).toString('base64url'),
        startedMs: nowMs,
        lastSeenMs: nowMs,
      };
      return { value: await store.create(data, ttl(data, nowMs)), data };
    },
    async resume(value) {
      const data = await store.read(value);
      if (data === undefined) return undefined;
      const nowMs = opts.now().getTime();
      // Redis expires idle sessions too; checking here as well lets the clock be injected.
      if (nowMs - data.lastSeenMs > opts.idleMs || nowMs - data.startedMs > MAX_SESSION_MS) {
        await store.end(value);
        return undefined;
      }
      const renewed = { ...data, lastSeenMs: nowMs };
      await store.renew(value as string, renewed, ttl(renewed, nowMs));
      return renewed;
    },
    end: (value) => store.end(value),
    issueCsrfToken(req, res, fresh) {
      return csrf.generateCsrfToken(req, res, { overwrite: fresh, cookieOptions: cookieOptions(req) });
    },
    csrfValid: (req) => csrf.validateRequest(req),
  };
}
