// Console sign-in: POST /v1/session trades an API key for a session cookie and a CSRF token
// (http/console-session.ts); GET /v1/session says who is signed in and hands a fresh page its
// CSRF token again; DELETE /v1/session signs out. Sign-in authenticates itself (the key is in
// the body, checked like a bearer key and counted against the address when wrong), so it is
// mounted before the /v1 authentication; the other two sit behind it like every route.
import { Router } from 'express';
import { z } from 'zod';
import { apiRoles } from '../../core/api-roles.js';
import { admitKey, verifyApiKey } from '../http/auth.js';
import {
  clearSessionCookies,
  CSRF_HEADER,
  sessionCookie,
  setSessionCookie,
  type ConsoleSessions,
} from '../http/console-session.js';
import { requestKey, requestLog, requestOrg } from '../http/context.js';
import { jsonBody } from '../http/json-body.js';
import { parseBody } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import type { RouteDeps } from './deps.js';

const signInSchema = z.object({ key: z.string().min(1).max(512) }).strict();
const sessionSchema = z.object({
  role: z.enum(apiRoles),
  csrfToken: z
    .string()
    .nullable()
    .describe(`send it as ${CSRF_HEADER} on every POST/PATCH/PUT/DELETE made with the session cookie; null for bearer requests`),
  idleTimeoutSeconds: z.number().int(),
});

function describe(registry: RouteDeps['registry']): void {
  describeRoute(registry, {
    method: 'post',
    path: '/v1/session',
    summary: 'Sign in: exchange an API key for an HttpOnly, SameSite=Strict session cookie and a CSRF token',
    auth: 'none',
    body: signInSchema,
    ok: { status: 201, schema: sessionSchema },
    errors: [400, 401, 413, 429],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/session',
    summary: 'The signed-in role, and the session’s CSRF token',
    ok: { status: 200, schema: sessionSchema },
  });
  describeRoute(registry, {
    method: 'delete',
    path: '/v1/session',
    summary: 'Sign out: end the session and clear its cookies',
    ok: { status: 204, description: 'signed out' },
  });
}

export function sessionSignInRoutes({ rt, registry, authFailures }: RouteDeps, sessions: ConsoleSessions): Router {
  describe(registry);
  const idleTimeoutSeconds = Math.round(sessions.idleMs / 1000);
  const router = Router();
  router.post('/session', jsonBody(4 * 1024), async (req, res) => {
    const { key } = parseBody(signInSchema, req);
    const found = await verifyApiKey(rt.db, authFailures, req, res, key);
    await sessions.end(sessionCookie(req)); // a sign-in replaces the browser's previous session
    const { value, data } = await sessions.start(found);
    admitKey(rt.db, res, found, { value, csrfSecret: data.csrfSecret });
    setSessionCookie(req, res, value);
    const csrfToken = sessions.issueCsrfToken(req, res, true);
    requestLog(res).info({ orgId: found.orgId, keyId: found.id, role: found.role }, 'session.started');
    res.status(201).json({ role: found.role, csrfToken, idleTimeoutSeconds });
  });
  return router;
}

export function sessionRoutes(_deps: RouteDeps, sessions: ConsoleSessions): Router {
  const idleTimeoutSeconds = Math.round(sessions.idleMs / 1000);
  const router = Router();
  router.get('/session', (req, res) => {
    const key = requestKey(res);
    const csrfToken = key.session ? sessions.issueCsrfToken(req, res, false) : null;
    res.json({ role: key.role, csrfToken, idleTimeoutSeconds });
  });
  router.delete('/session', async (req, res) => {
    const key = requestKey(res);
    if (key.session) {
      await sessions.end(key.session.value);
      requestLog(res).info({ orgId: requestOrg(res).id, keyId: key.id }, 'session.ended');
    }
    clearSessionCookies(req, res);
    res.status(204).end();
  });
  return router;
}
