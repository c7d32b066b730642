// Rotating OUTDIAL_ENCRYPTION_KEY: while the old key is configured as
// OUTDIAL_ENCRYPTION_KEY_PREVIOUS, secrets sealed under it still open; `outdial secrets
// reencrypt` seals them all under the new key, after which the old key can go.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { reencryptWebhookSecrets } from '../../src/core/secret-rotation.js';
import { decryptionKeys, decryptSecret, encryptSecret, newWebhookSecret } from '../../src/core/secrets.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertOrg } from '../support/fixtures.js';

const key = (label: string) => createHash('sha256').update(label).digest('base64url');
const OLD = key('old encryption key');
const NEW = key('new encryption key');
const OTHER = key('a key nobody configured');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('secret_rotation');
});
afterAll(async () => {
  await t.drop();
});

async function insertEndpoint(orgId: string, sealWith: string) {
  const secret = newWebhookSecret();
  const row = await t.db
    .insertInto('webhook_endpoints')
    .values({ org_id: orgId, url: 'https://example.com/h', events: ['*'], secret_enc: encryptSecret(secret, sealWith), disabled_reason: null, deleted_at: null })
    .returning(['id', 'secret_enc'])
    .executeTakeFirstOrThrow();
  return { ...row, secret };
}

describe('encryption key rotation', () => {
  it('opens secrets sealed under the previous key while it is configured, current key first', () => {
    const config = loadConfig({ OUTDIAL_ENCRYPTION_KEY: NEW, OUTDIAL_ENCRYPTION_KEY_PREVIOUS: OLD });
    expect(decryptionKeys(config)).toEqual([NEW, OLD]);
    const secret = newWebhookSecret();
    expect(decryptSecret(encryptSecret(secret, OLD), decryptionKeys(config))).toBe(secret);
    expect(decryptSecret(encryptSecret(secret, NEW), decryptionKeys(config))).toBe(secret);
    expect(() => decryptSecret(encryptSecret(secret, OLD), decryptionKeys(loadConfig({ OUTDIAL_ENCRYPTION_KEY: NEW })))).toThrow();
  });

  it('reseals every secret under the current key, once, and reports the ones no key opens', async () => {
    const { org } = await insertOrg(t.db);
    const old = await Promise.all([insertEndpoint(org.id, OLD), insertEndpoint(org.id, OLD)]);
    const current = await insertEndpoint(org.id, NEW);
    const lost = await insertEndpoint(org.id, OTHER);

    const report = await reencryptWebhookSecrets(t.db, [NEW, OLD]);
    expect(report).toEqual({ endpoints: 4, resealed: 2, unreadable: [lost.id] });

    const rows = new Map(
      (await t.db.selectFrom('webhook_endpoints').select(['id', 'secret_enc']).execute()).map((r) => [r.id, r.secret_enc]),
    );
    for (const e of [...old, current]) expect(decryptSecret(rows.get(e.id)!, NEW)).toBe(e.secret);
    expect(rows.get(current.id)).toBe(current.secret_enc);
    expect(rows.get(lost.id)).toBe(lost.secret_enc);

    expect(await reencryptWebhookSecrets(t.db, [NEW])).toEqual({ endpoints: 4, resealed: 0, unreadable: [lost.id] });
  });
});
