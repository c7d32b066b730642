// pino request logging: one child logger per request (carrying reqId, later orgId) and one
// line per response. Only the path is logged: no query strings, bodies or headers, so API
// keys never reach the log, and digit runs long enough to be phone numbers are masked.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { maskPhone, type Logger } from '../../core/logger.js';
import type { AuthOrg } from './context.js';

// A run of 7+ digits standing alone in the path; runs inside a uuid or word are ids, not phones.
const phoneLike = /(?<![0-9A-Za-z-])(?:\+|%2B)?\d{7,}(?![0-9A-Za-z-])/gi;

export function loggablePath(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  return path.replace(phoneLike, (m) => maskPhone(m.replace(/^%2B/i, '+')));
}

export function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const reqId = given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', reqId);
    const child = log.child({ reqId });
    res.locals.log = child;
    const started = performance.now();
    res.on('finish', () => {
      const org = res.locals.org as AuthOrg | undefined;
      const line = {
        method: req.method,
        path: loggablePath(req.originalUrl),
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
        orgId: org?.id,
        code: res.locals.errorCode as string | undefined,
      };
      if (res.statusCode >= 500) child.error(line, 'http.request');
      else child.info(line, 'http.request');
    });
    next();
  };
}
