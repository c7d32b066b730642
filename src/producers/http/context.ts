// Per-request state set by the middleware chain (request logger, auth) and read by handlers.
// Kept in res.locals behind typed accessors, so no global type augmentation is needed.
import type { Response } from 'express';
import type { ApiRole } from '../../core/api-roles.js';
import type { Logger } from '../../core/logger.js';

export interface AuthOrg {
  id: string;
  maxConcurrency: number;
}

/** The API key a request was admitted with, directly (bearer) or through a console session. */
export interface AuthKey {
  id: string;
  role: ApiRole;
  /** Set when the request came with a session cookie: its cookie value and CSRF secret. */
  session?: { value: string; csrfSecret: string };
}

export function requestLog(res: Response): Logger {
  return res.locals.log as Logger;
}

/** The authenticated org; only call behind the org auth middleware. */
export function requestOrg(res: Response): AuthOrg {
  const org = res.locals.org as AuthOrg | undefined;
  if (!org) throw new Error('requestOrg used on a route without org authentication');
  return org;
}

/** The key the request was admitted with; only call behind the org auth middleware. */
export function requestKey(res: Response): AuthKey {
  const key = res.locals.apiKey as AuthKey | undefined;
  if (!key) throw new Error('requestKey used on a route without org authentication');
  return key;
}
