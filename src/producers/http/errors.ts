// Maps every error to the contract shape { error: { code, message, details? } }, once. Typed
// AppErrors keep their status; body-parser and zod failures become 400/413; anything else is
// a 500 whose message is never shown to the client.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import {
  AppError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
} from '../../core/errors.js';
import { requestLog } from './context.js';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** zod issues as `[{path, message}]`: enough for a client to fix its request. */
export function issueDetails(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

const unreadableBody = new Set([
  'encoding.unsupported',
  'charset.unsupported',
  'request.aborted',
  'request.size.invalid',
  'stream.encoding.set',
]);

function fromBodyParser(err: HttpLikeError): AppError | null {
  if (err.type === 'entity.parse.failed') return new ValidationError('request body is not valid JSON');
  if (err.type === 'entity.too.large') return new PayloadTooLargeError('request body too large');
  if (err.type && unreadableBody.has(err.type))
    return new ValidationError(`unreadable request body (${err.type})`);
  return null;
}

/** Postgres refusing a value (class 22: bad text for a type, out of range) is the client's doing. */
function fromPostgres(err: { code?: unknown; severity?: unknown }): AppError | null {
  if (typeof err.code !== 'string' || typeof err.severity !== 'string') return null;
  if (err.code.startsWith('22')) return new ValidationError('a value is out of range or malformed');
  if (err.code === '23505') return new ConflictError('already exists');
  return null;
}

function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return new ValidationError('invalid request', issueDetails(err));
  if (typeof err === 'object' && err !== null) return fromBodyParser(err) ?? fromPostgres(err);
  return null;
}

export const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const known = toAppError(err);
  const log = requestLog(res);
  let body: ErrorBody;
  if (known) {
    body = { error: { code: known.code, message: known.message } };
    if (known.details !== undefined) body.error.details = known.details;
    res.status(known.status);
    res.locals.errorCode = known.code;
  } else {
    // Name, message, code and stack only: driver errors carry the offending row in `detail`.
    const e = err instanceof Error ? err : new Error(String(err));
    log.error(
      { err: { name: e.name, message: e.message, code: (e as { code?: unknown }).code, stack: e.stack } },
      'http.unhandled_error',
    );
    body = { error: { code: 'internal', message: 'internal server error' } };
    res.status(500);
  }
  // An upload refused mid-stream leaves unread bytes behind: close rather than reuse the socket.
  if (known?.status === 413) res.setHeader('connection', 'close');
  res.json(body);
};

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError('no such route'));
};
