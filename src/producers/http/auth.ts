// Authentication. Org API keys are looked up by their sha256 hash (the key itself is never
// stored) and compared in constant time; a console session cookie (console-session.ts) stands for
// the key it was made from, looked up by id on every request, so a revoked key stops working at
// once, by bearer or by session, with no cache in between. The admin token guards org creation
// only. A wrong credential counts against the client's address, and an address out of attempts is
// refused before its credential is looked at (auth-failures.ts).
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../../core/db/client.js';
import { UnauthorizedError } from '../../core/errors.js';
import { bearerCredential as bearer, constantTimeEqual, hashApiKey } from '../../core/secrets.js';
import { findActiveKeyByHash, findActiveKeyById, lastUseIsStale, touchApiKey, type ActiveKey } from '../repos/api-keys.js';
import { refuseBlockedAddress, type AuthFailureLimiter } from './auth-failures.js';
import { sessionCookie, type ConsoleSessions } from './console-session.js';
import { requestLog, type AuthKey } from './context.js';

/** The active key `key` is, or 401 (counted against the address). */
export async function verifyApiKey(
  db: Db,
  failures: AuthFailureLimiter,
  req: Request,
  res: Response,
  key: string,
): Promise<ActiveKey> {
  await refuseBlockedAddress(failures, req, res);
  const hash = hashApiKey(key);
  const found = await findActiveKeyByHash(db, hash);
  if (!found || !constantTimeEqual(found.hash, hash)) {
    await failures.recordFailure(req);
    throw new UnauthorizedError('invalid API key');
  }
  return found;
}

/** Records the key and its org on the request, and marks the key used (off the request's path). */
export function admitKey(db: Db, res: Response, key: ActiveKey, session?: AuthKey['session']): void {
  res.locals.org = { id: key.orgId, maxConcurrency: key.maxConcurrency };
  const admitted: AuthKey = { id: key.id, role: key.role, ...(session ? { session } : {}) };
  res.locals.apiKey = admitted;
  if (!lastUseIsStale(key.lastUsedAt, new Date())) return;
  touchApiKey(db, key.id).catch((err: unknown) => {
    requestLog(res).warn({ err: err instanceof Error ? err.message : String(err), keyId: key.id }, 'api_key.touch_failed');
  });
}

async function sessionKey(db: Db, sessions: ConsoleSessions, req: Request, res: Response): Promise<void> {
  const value = sessionCookie(req);
  if (value === undefined) throw new UnauthorizedError('missing bearer API key');
  const session = await sessions.resume(value);
  if (!session) throw new UnauthorizedError('the session has expired or was ended: sign in again');
  const key = await findActiveKeyById(db, session.keyId);
  if (!key) {
    await sessions.end(value);
    throw new UnauthorizedError('the session’s API key was revoked: sign in again');
  }
  admitKey(db, res, { ...key, role: session.role }, { value: value as string, csrfSecret: session.csrfSecret });
}

/** A bearer API key, or (without an Authorization header) a console session cookie. */
export function orgAuth(db: Db, failures: AuthFailureLimiter, sessions: ConsoleSessions): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (header === undefined) {
      await sessionKey(db, sessions, req, res);
    } else {
      const key = bearer(header);
      if (!key) throw new UnauthorizedError('missing bearer API key');
      admitKey(db, res, await verifyApiKey(db, failures, req, res, key));
    }
    next();
  };
}

export function adminAuth(adminToken: string | undefined, failures: AuthFailureLimiter): RequestHandler {
  return async (req, res, next) => {
    const token = bearer(req.get('authorization'));
    if (token !== null) await refuseBlockedAddress(failures, req, res);
    // Compare even when unconfigured, so the answer takes the same time either way.
    const ok = constantTimeEqual(token ?? '', adminToken ?? '') && token !== null && adminToken !== undefined;
    if (!ok) {
      if (token !== null) await failures.recordFailure(req);
      throw new UnauthorizedError('admin token required');
    }
    next();
  };
}
