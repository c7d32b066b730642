// An org's API keys. A key is shown once at creation; only its sha256 is stored, with its first
// 8 characters to name it. Revoking sets revoked_at (the row stays, for the record) and is refused
// when it would leave the org without an active admin key; the org row is locked for that check,
// so two revocations at once cannot each count the other's key as the admin that remains.
import { sql } from 'kysely';
import type { ApiRole } from '../../core/api-roles.js';
import type { Db } from '../../core/db/client.js';
import { ConflictError } from '../../core/errors.js';
import { hashApiKey, newApiKey } from '../../core/secrets.js';

export const LAST_ADMIN_KEY =
  'this is the org’s last active admin key: create another admin key before revoking it';

export interface ApiKeyItem {
  id: string;
  name: string;
  role: ApiRole;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What authentication learns about a key: its org and role, and when it was last marked used. */
export interface ActiveKey {
  id: string;
  hash: string;
  role: ApiRole;
  orgId: string;
  maxConcurrency: number;
  lastUsedAt: Date | null;
}

/** Inserts a key (also inside the org-creation transaction); returns the key itself, once. */
export async function createApiKey(
  db: Db,
  orgId: string,
  input: { name: string; role: ApiRole },
): Promise<{ id: string; key: string; role: ApiRole }> {
  const key = newApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({ org_id: orgId, name: input.name, role: input.role, hash: hashApiKey(key), prefix: key.slice(0, 8) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key, role: input.role };
}

/** The org's active keys, oldest first (an org holds a handful: no paging). */
export async function listApiKeys(db: Db, orgId: string): Promise<ApiKeyItem[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'created_at', 'last_used_at'])
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  }));
}

/** False when the org has no such active key; ConflictError when it is the last admin key. */
export async function revokeApiKey(db: Db, orgId: string, keyId: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().executeTakeFirst();
    const target = await tx
      .selectFrom('api_keys')
      .select('role')
      .where('id', '=', keyId)
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!target) return false;
    if (target.role === 'admin') {
      const others = await tx
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('org_id', '=', orgId)
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .where('id', '!=', keyId)
        .executeTakeFirstOrThrow();
      if (Number(others.n) === 0) throw new ConflictError(LAST_ADMIN_KEY);
    }
    await tx.updateTable('api_keys').set({ revoked_at: sql<Date>`now()` }).where('id', '=', keyId).execute();
    return true;
  });
}

function activeKeys(db: Db) {
  return db
    .selectFrom('api_keys as k')
    .innerJoin('orgs as o', 'o.id', 'k.org_id')
    .select(['k.id', 'k.hash', 'k.role', 'k.org_id', 'o.max_concurrency', 'k.last_used_at'])
    .where('k.revoked_at', 'is', null);
}

type ActiveKeyRow = { id: string; hash: string; role: ApiRole; org_id: string; max_concurrency: number; last_used_at: Date | null };

function toActiveKey(r: ActiveKeyRow): ActiveKey {
  return {
    id: r.id,
    hash: r.hash,
    role: r.role,
    orgId: r.org_id,
    maxConcurrency: r.max_concurrency,
    lastUsedAt: r.last_used_at,
  };
}

export async function findActiveKeyByHash(db: Db, hash: string): Promise<ActiveKey | undefined> {
  const row = await activeKeys(db).where('k.hash', '=', hash).executeTakeFirst();
  return row && toActiveKey(row);
}

export async function findActiveKeyById(db: Db, id: string): Promise<ActiveKey | undefined> {
  const row = await activeKeys(db).where('k.id', '=', id).executeTakeFirst();
  return row && toActiveKey(row);
}

/** How stale last_used_at may get: it is written at most once a minute per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function lastUseIsStale(lastUsedAt: Date | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS;
}

/**
 * Marks the key used now, unless another request (in any API process) already did within the
 * last minute. Returns whether this call wrote.
 */
export async function touchApiKey(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('api_keys')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${LAST_USED_RESOLUTION_MS / 1000})`),
      ]),
    )
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}
