// Orgs: created by the operator with the admin token. The API key is returned once and only
// its hash is stored; the prefix identifies a key in support conversations without revealing it.
import type { Db } from '../../core/db/client.js';
import { hashApiKey, newApiKey } from '../../core/secrets.js';

export async function createOrg(
  db: Db,
  input: { name: string; maxConcurrency: number },
): Promise<{ id: string; apiKey: string }> {
  const apiKey = newApiKey();
  const row = await db
    .insertInto('orgs')
    .values({
      name: input.name,
      max_concurrency: input.maxConcurrency,
      api_key_hash: hashApiKey(apiKey),
      api_key_prefix: apiKey.slice(0, 8),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, apiKey };
}
