import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { DEV_ENCRYPTION_KEY } from './secrets.js';
import { estimatedSecretBits, secretWeakness, shannonBitsPerChar } from './secret-policy.js';

const params = { seed: 20_260_719, numRuns: 300 } as const;
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));

describe('secret policy', () => {
  it('accepts 32 random bytes in hex, base64 and base64url: what the docs tell operators to run', () => {
    fc.assert(
      fc.property(bytes(32), (b) => {
        for (const s of [b.toString('hex'), b.toString('base64'), b.toString('base64url')]) {
          expect(secretWeakness(s), s).toBeNull();
        }
      }),
      params,
    );
  });

  it('refuses anything shorter than 256 estimated bits, whatever it is made of', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 42 }), (s) => {
        expect(secretWeakness(s)).not.toBeNull();
      }),
      params,
    );
    expect(secretWeakness('a')).toMatch(/too short/);
    expect(secretWeakness('0123456789abcdef'.repeat(3) + '0123456789abcde')).toMatch(/too short/); // 63 hex
    expect(estimatedSecretBits('G'.repeat(43) + '=')).toBe(258);
    expect(estimatedSecretBits('A'.repeat(43))).toBe(172);
  });

  it('refuses long strings made of a few repeated characters', () => {
    for (const s of ['a'.repeat(100), 'ab'.repeat(50), 'password'.repeat(8), 'change-me'.repeat(6)]) {
      expect(secretWeakness(s), s).toMatch(/distinct/);
    }
    expect(shannonBitsPerChar('abcdefgh'.repeat(8))).toBeCloseTo(3);
  });

  it('refuses the development key and the old example values', () => {
    expect(secretWeakness(DEV_ENCRYPTION_KEY)).toMatch(/published/);
    expect(secretWeakness('change-me-long-random-admin-token')).not.toBeNull();
    expect(secretWeakness('change-me-32-or-more-random-characters')).not.toBeNull();
  });
});

describe('secrets in the config', () => {
  const strong = createHash('sha256').update('a strong test secret').digest('base64url');

  it('stops start-up naming the variable and how to generate a value, never echoing it', () => {
    for (const name of ['OUTDIAL_ADMIN_TOKEN', 'OUTDIAL_ENCRYPTION_KEY', 'OUTDIAL_METRICS_TOKEN']) {
      let message = '';
      try {
        loadConfig({ [name]: 'x-secret-probe' });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, name).toContain(`${name}:`);
      expect(message, name).toContain('openssl rand -base64 32');
      expect(message, name).not.toContain('x-secret-probe');
    }
  });

  it('accepts strong values and leaves unset ones unset', () => {
    expect(secretWeakness(strong)).toBeNull();
    const c = loadConfig({ OUTDIAL_ADMIN_TOKEN: strong, OUTDIAL_ENCRYPTION_KEY: strong, OUTDIAL_METRICS_TOKEN: '' });
    expect(c.OUTDIAL_ADMIN_TOKEN).toBe(strong);
    expect(c.OUTDIAL_METRICS_TOKEN).toBeUndefined();
  });
});
