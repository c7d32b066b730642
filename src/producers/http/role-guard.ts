// The one place the role policy (src/core/api-roles.ts) meets requests: mounted on /v1 right after
// authentication, before any route, so no /v1 route can be reached around it. Requests made with
// a console session cookie must also carry their CSRF token when they change state.
import type { RequestHandler } from 'express';
import { roleAllows } from '../../core/api-roles.js';
import { ForbiddenError } from '../../core/errors.js';
import { CsrfRejectedError, type ConsoleSessions } from './console-session.js';
import { requestKey } from './context.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function roleGuard(sessions: ConsoleSessions): RequestHandler {
  return (req, res, next) => {
    const key = requestKey(res);
    if (!roleAllows(key.role, req.method, req.baseUrl + req.path)) {
      throw new ForbiddenError(`an API key with the ${key.role} role may not ${req.method} this route`);
    }
    if (key.session && !SAFE_METHODS.has(req.method) && !sessions.csrfValid(req)) {
      throw new CsrfRejectedError(`state-changing requests made with the session cookie need the X-CSRF-Token header from POST /v1/session`);
    }
    next();
  };
}
