// Per-request state set by the middleware chain (request logger, auth) and read by handlers.
// Kept in res.locals behind typed accessors, so no global type augmentation is needed.
import type { Response } from 'express';
import type { Logger } from '../../core/logger.js';

export interface AuthOrg {
  id: string;
  maxConcurrency: number;
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
