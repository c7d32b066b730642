// Bearer authentication. Org API keys are looked up by their sha256 hash (the key itself is
// never stored) and compared in constant time; the admin token guards org creation only. A wrong
// credential counts against the client's address, and an address out of attempts is refused
// before its credential is looked at (auth-failures.ts).
import type { RequestHandler } from 'express';
import type { Db } from '../../core/db/client.js';
import { UnauthorizedError } from '../../core/errors.js';
import { bearerCredential as bearer, constantTimeEqual, hashApiKey } from '../../core/secrets.js';
import { refuseBlockedAddress, type AuthFailureLimiter } from './auth-failures.js';

export function orgAuth(db: Db, failures: AuthFailureLimiter): RequestHandler {
  return async (req, res, next) => {
    const key = bearer(req.get('authorization'));
    if (!key) throw new UnauthorizedError('missing bearer API key');
    await refuseBlockedAddress(failures, req, res);
    const hash = hashApiKey(key);
    const org = await db
      .selectFrom('orgs')
      .select(['id', 'max_concurrency', 'api_key_hash'])
      .where('api_key_hash', '=', hash)
      .executeTakeFirst();
    if (!org || !constantTimeEqual(org.api_key_hash, hash)) {
      await failures.recordFailure(req);
      throw new UnauthorizedError('invalid API key');
    }
    res.locals.org = { id: org.id, maxConcurrency: org.max_concurrency };
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
