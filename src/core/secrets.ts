// API keys are stored as sha256 hashes and compared in constant time; webhook secrets must be
// usable for signing, so they are encrypted at rest (AES-256-GCM) with OUTDIAL_ENCRYPTION_KEY.
// During a key rotation OUTDIAL_ENCRYPTION_KEY_PREVIOUS still opens what the old key sealed,
// until `outdial secrets reencrypt` has sealed everything again under the current key.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from './config.js';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `od_${randomBytes(24).toString('base64url')}`;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The credential of an `Authorization: Bearer <credential>` header, or null. */
export function bearerCredential(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S{1,512})[ \t]*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Development fallback; start-up logs a warning when it is in use. */
export const DEV_ENCRYPTION_KEY = 'outdial-development-key-do-not-use-in-production';

/** The key new secrets are sealed with. */
export function encryptionKey(config: Pick<Config, 'OUTDIAL_ENCRYPTION_KEY'>): string {
  return config.OUTDIAL_ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY;
}

/** The keys stored secrets may be sealed with, current first. */
export function decryptionKeys(
  config: Pick<Config, 'OUTDIAL_ENCRYPTION_KEY' | 'OUTDIAL_ENCRYPTION_KEY_PREVIOUS'>,
): string[] {
  const previous = config.OUTDIAL_ENCRYPTION_KEY_PREVIOUS;
  return previous === undefined ? [encryptionKey(config)] : [encryptionKey(config), previous];
}

function keyBytes(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function encryptSecret(plain: string, key: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyBytes(key), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

function openWith(sealed: string, key: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || !body) throw new Error('unrecognised secret format');
  const decipher = createDecipheriv('aes-256-gcm', keyBytes(key), Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
}

/** Opens a sealed secret with the first of `keys` that authenticates it (GCM tells a wrong key apart). */
export function decryptSecret(sealed: string, keys: string | readonly string[]): string {
  let lastError: unknown = new Error('no decryption key');
  for (const key of typeof keys === 'string' ? [keys] : keys) {
    try {
      return openWith(sealed, key);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
