// Orgs: created by the operator with the admin token, together with their first API key (an
// admin key named "default", returned once; only its hash is stored, in api_keys).
import type { Db } from '../../core/db/client.js';
import { createApiKey } from './api-keys.js';

export const FIRST_KEY_NAME = 'default';

export async function createOrg(
  db: Db,
  input: { name: string; maxConcurrency: number },
): Promise<{ id: string; apiKey: string }> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('orgs')
      .values({ name: input.name, max_concurrency: input.maxConcurrency })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { key } = await createApiKey(tx, row.id, { name: FIRST_KEY_NAME, role: 'admin' });
    return { id: row.id, apiKey: key };
  });
}
