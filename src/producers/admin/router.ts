// Bull Board at /admin/queues over every queue, behind the admin credentials (user `admin`,
// password OUTDIAL_ADMIN_TOKEN). A login form starts a server-side session (Redis) named by a
// signed cookie, because a bearer header would not reach the board's assets and XHR; logging out
// ends it. Every mutating request needs a CSRF token bound to that session (csrf-csrf, double
// submit: the board's axios client echoes the XSRF-TOKEN cookie as X-XSRF-TOKEN). Wrong
// passwords and tokens count against the client's address like every other credential. Read-only
// mode hides the board's actions and refuses mutating requests outright; writable mode still
// refuses adding jobs and editing job data, which would forge dial requests and call events.
// Without an admin token configured, the board is closed.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { allQueues } from '../../core/queue-set.js';
import type { Runtime } from '../../core/runtime.js';
import { authFailureLimiterFor, TOO_MANY_FAILURES, type AuthFailureLimiter } from '../http/auth-failures.js';
import { loginPage } from './login-page.js';
import {
  bearerMatches,
  bearerToken,
  createSessionStore,
  credentialsMatch,
  CSRF_COOKIE,
  DEFAULT_SESSION_TTL_MS,
  deriveSecret,
  SESSION_COOKIE,
  sessionCookieOptions,
  type SessionStore,
} from './session.js';

export interface AdminRouterOptions {
  /** Where the board lives; the returned router is mounted at the app root. */
  basePath?: string;
  /** View only: no retries, cleans, pauses or removals. Defaults to OUTDIAL_BULLBOARD_READONLY. */
  readOnly?: boolean;
  sessionTtlMs?: number;
  /** Failed sign-ins per client address; the API app passes the one its other credential checks share. */
  authFailures?: AuthFailureLimiter;
}

/** Board API routes whose actions would forge work for outdial's own consumers (see the header). */
const FORGING_ROUTES = [
  { method: 'post', path: '/api/queues/:queueName/add' },
  { method: 'patch', path: '/api/queues/:queueName/:jobId/update-data' },
] as const;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// The board's own policy, replacing the app-wide one for these pages: its fonts come from Google,
// and without `upgrade-insecure-requests` it still loads on a plain-HTTP single-host install.
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** Requests for the board's HTML pages (not its JSON API or static files) get the login redirect. */
function wantsPage(req: Request): boolean {
  return req.method === 'GET' && !req.path.startsWith('/api/') && !req.path.startsWith('/static/');
}

export function createAdminRouter(rt: Runtime, opts: AdminRouterOptions = {}): Router {
  const basePath = opts.basePath ?? '/admin/queues';
  const outer = Router();
  const adminToken = rt.config.OUTDIAL_ADMIN_TOKEN;
  if (adminToken === undefined) {
    rt.log.warn('admin.disabled_no_token');
    outer.use(basePath, (_req, res) => {
      res.status(404).json(errorBody('not_found', 'admin UI is disabled: OUTDIAL_ADMIN_TOKEN is not set'));
    });
    return outer;
  }
  const ttlMs = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const readOnly = opts.readOnly ?? rt.config.OUTDIAL_BULLBOARD_READONLY;
  const failures = opts.authFailures ?? authFailureLimiterFor(rt);
  const sessions = createSessionStore(rt.redis, rt.keys.key('admin-session'), ttlMs);
  // The session each request was admitted with, for csrf-csrf's synchronous session lookup.
  const admitted = new WeakMap<Request, string>();

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: allQueues(rt).map(
      (q) => new BullMQAdapter(q, { readOnlyMode: readOnly, allowRetries: !readOnly }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'outdial queues' } },
  });

  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => deriveSecret(adminToken, 'csrf'),
    getSessionIdentifier: (req) => admitted.get(req) ?? '',
    cookieName: CSRF_COOKIE,
    // Readable by the board's script on purpose (double submit); the token is useless without the session.
    cookieOptions: { httpOnly: false, sameSite: 'strict', path: basePath, secure: false },
    getCsrfTokenFromRequest: (req) => {
      const h = req.headers['x-xsrf-token'] ?? req.headers['x-csrf-token'];
      return Array.isArray(h) ? h[0] : h;
    },
    skipCsrfProtection: (req) => bearerMatches(req, adminToken),
    errorConfig: { statusCode: 403, message: 'invalid or missing CSRF token', code: 'csrf_invalid' },
  });

  const inner = Router();
  inner.use((req, res, next) => {
    res.setHeader('Content-Security-Policy', BOARD_CSP);
    if (!req.path.startsWith('/static/')) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  inner.use(cookieParser(deriveSecret(adminToken, 'session')));

  inner.get('/login', (req, res) => {
    res.type('html').send(loginPage(`${basePath}/login`));
  });
  inner.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req: Request, res: Response) => {
    const wait = await failures.blockedFor(req);
    if (wait !== null) {
      res.setHeader('retry-after', wait);
      res.status(429).type('html').send(loginPage(`${basePath}/login`, { error: 'Too many failed sign-ins: try again later.' }));
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!credentialsMatch(body.username, body.password, adminToken)) {
      rt.log.warn({ ip: req.ip }, 'admin.login_failed');
      await failures.recordFailure(req);
      res.status(401).type('html').send(loginPage(`${basePath}/login`, { error: 'Wrong user or token.' }));
      return;
    }
    rt.log.info({ ip: req.ip }, 'admin.login');
    res.cookie(SESSION_COOKIE, await sessions.create(), sessionCookieOptions(req, basePath, ttlMs));
    res.redirect(303, `${basePath}/`);
  });

  inner.use(requireAdmin({ adminToken, basePath, sessions, failures, admitted }));
  inner.use(doubleCsrfProtection);
  if (readOnly) inner.use(refuseMutations);
  for (const r of FORGING_ROUTES) inner[r.method](r.path, refuseForgery);

  inner.post('/logout', async (req, res) => {
    const session = admitted.get(req);
    if (session !== undefined) await sessions.end(session);
    rt.log.info({ ip: req.ip }, 'admin.logout');
    res.clearCookie(SESSION_COOKIE, { path: basePath });
    res.clearCookie(CSRF_COOKIE, { path: basePath });
    res.redirect(303, `${basePath}/login`);
  });

  // Hand the page a CSRF token for this session before the board's own router renders it.
  inner.use((req, res, next) => {
    if (wantsPage(req)) generateCsrfToken(req, res, { cookieOptions: { secure: req.secure } });
    next();
  });
  inner.use(serverAdapter.getRouter() as RequestHandler);
  inner.use(csrfErrorHandler);

  outer.use(basePath, inner);
  return outer;
}

interface RequireAdminDeps {
  adminToken: string;
  basePath: string;
  sessions: SessionStore;
  failures: AuthFailureLimiter;
  admitted: WeakMap<Request, string>;
}

/** A live session, or the admin token as a bearer header (counted as a failure when wrong). */
function requireAdmin({ adminToken, basePath, sessions, failures, admitted }: RequireAdminDeps): RequestHandler {
  return async (req, res, next) => {
    const session = await sessions.current(req);
    if (session !== undefined) {
      admitted.set(req, session);
      next();
      return;
    }
    if (bearerToken(req) !== undefined) {
      const wait = await failures.blockedFor(req);
      if (wait !== null) {
        res.setHeader('retry-after', wait);
        res.status(429).json(errorBody('rate_limited', TOO_MANY_FAILURES));
        return;
      }
      if (bearerMatches(req, adminToken)) {
        next();
        return;
      }
      await failures.recordFailure(req);
    }
    if (wantsPage(req)) {
      res.redirect(302, `${basePath}/login`);
      return;
    }
    res.status(401).json(errorBody('unauthorized', 'sign in at the admin login page or send the admin token'));
  };
}

function refuseForgery(_req: Request, res: Response): void {
  res
    .status(403)
    .json(errorBody('forbidden', "adding jobs and editing job data are disabled: they would forge outdial's own work"));
}

function refuseMutations(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method) || req.path === '/logout') {
    next();
    return;
  }
  res.status(403).json(errorBody('read_only', 'the queue board is read-only (OUTDIAL_BULLBOARD_READONLY)'));
}

function csrfErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof Error && (err as Error & { code?: string }).code === 'csrf_invalid') {
    res.status(403).json(errorBody('csrf_invalid', err.message));
    return;
  }
  next(err);
}
