// pino request logging: one child logger per request (carrying reqId, later orgId) and one
// line per response. Only the path is logged: no query strings (so no query value, phone or API
// key, ever reaches the log), no bodies or headers. Each path segment is percent-decoded before
// it is searched for phone numbers, so "(212)%20555-0142" is masked like "2125550142".
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { maskPhonesIn, type Logger } from '../../core/logger.js';
import type { AuthOrg } from './context.js';

/** Decodes a run of escapes; one that is not valid UTF-8 still gives up its ASCII (digits, "+"). */
function decodeEscapes(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return run.replace(/%[0-7][0-9a-f]/gi, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
  }
}

/** Decoded until nothing changes (a client may have encoded twice), a few rounds at most. */
function percentDecoded(segment: string): string {
  let text = segment;
  for (let round = 0; round < 4; round++) {
    const next = text.replace(/(?:%[0-9a-f]{2})+/gi, decodeEscapes);
    if (next === text) break;
    text = next;
  }
  return text;
}

function loggableSegment(segment: string): string {
  const text = percentDecoded(segment);
  const masked = maskPhonesIn(text);
  return masked === text ? segment : masked;
}

export function loggablePath(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  return path.split('/').map(loggableSegment).join('/');
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
