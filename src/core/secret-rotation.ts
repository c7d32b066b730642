// Encryption key rotation for webhook secrets at rest. Procedure: deploy every role with the new
// OUTDIAL_ENCRYPTION_KEY and the old one as OUTDIAL_ENCRYPTION_KEY_PREVIOUS (new secrets are
// sealed with the new key; deliveries open old ones with either), run `outdial secrets reencrypt`
// (this), then remove OUTDIAL_ENCRYPTION_KEY_PREVIOUS. Deleted endpoints are resealed too: their
// rows stay readable by the same keys as every other.
import type { Db } from './db/client.js';
import { decryptSecret, encryptSecret } from './secrets.js';

export interface ReencryptReport {
  endpoints: number;
  /** Sealed under a previous key, now sealed under the current one. */
  resealed: number;
  /** Ids of endpoints no configured key opens; left as they are. */
  unreadable: string[];
}

function opens(sealed: string, key: string): boolean {
  try {
    decryptSecret(sealed, key);
    return true;
  } catch {
    return false;
  }
}

/** Seals every webhook secret under `keys[0]`, opening it with any of `keys` (current first). */
export async function reencryptWebhookSecrets(db: Db, keys: readonly string[]): Promise<ReencryptReport> {
  const [current, ...previous] = keys;
  if (current === undefined) throw new Error('no encryption key');
  const rows = await db.selectFrom('webhook_endpoints').select(['id', 'secret_enc']).orderBy('id').execute();
  const report: ReencryptReport = { endpoints: rows.length, resealed: 0, unreadable: [] };
  for (const row of rows) {
    if (opens(row.secret_enc, current)) continue;
    let plain: string;
    try {
      plain = decryptSecret(row.secret_enc, previous);
    } catch {
      report.unreadable.push(row.id);
      continue;
    }
    // Guarded by the old value: a secret replaced meanwhile is already sealed under the current key.
    const updated = await db
      .updateTable('webhook_endpoints')
      .set({ secret_enc: encryptSecret(plain, current) })
      .where('id', '=', row.id)
      .where('secret_enc', '=', row.secret_enc)
      .executeTakeFirst();
    report.resealed += Number(updated.numUpdatedRows);
  }
  return report;
}
