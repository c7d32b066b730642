// How strong an operator-chosen secret (admin token, encryption key, metrics token) must be: an
// estimate of at least 256 bits, the strength of 32 random bytes. The estimate credits 4 bits a
// character to a hex string and 6 bits to anything else (the base64 alphabet's worth; trailing
// `=` padding counts for nothing), so `openssl rand -hex 32` (64 characters) and
// `openssl rand -base64 32` (43 + padding) pass exactly. A string that repeats a few characters
// is refused whatever its length: its character frequencies must carry at least 3 bits of Shannon
// entropy per character (random hex carries about 3.8, random base64 about 5). An estimate cannot
// tell a long sentence from random text, so the value should be generated, never typed.
import { DEV_ENCRYPTION_KEY } from './secrets.js';

export const MIN_SECRET_BITS = 256;
export const MIN_SHANNON_BITS_PER_CHAR = 3;
export const GENERATE_SECRET_HINT = 'generate one with `openssl rand -base64 32`';

/** Values published in this repository or its history: never acceptable, however strong they look. */
const PUBLISHED = new Set([DEV_ENCRYPTION_KEY]);

function bitsPerChar(s: string): number {
  return /^[0-9a-fA-F]+$/.test(s) ? 4 : 6;
}

/** Shannon entropy of the string's character frequencies, in bits per character. */
export function shannonBitsPerChar(s: string): number {
  const chars = [...s];
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Estimated strength in bits: length (without `=` padding) times what each character may carry. */
export function estimatedSecretBits(s: string): number {
  const body = s.replace(/=+$/, '');
  return [...body].length * bitsPerChar(body);
}

/** Why a secret is too weak, or null when it is strong enough. Never echoes the value. */
export function secretWeakness(s: string): string | null {
  if (PUBLISHED.has(s)) return 'is a value published with outdial';
  const bits = estimatedSecretBits(s);
  if (bits < MIN_SECRET_BITS) {
    return `is too short: about ${bits} bits, at least ${MIN_SECRET_BITS} needed (64 hex or 43 base64 characters)`;
  }
  if (shannonBitsPerChar(s) < MIN_SHANNON_BITS_PER_CHAR) return 'repeats too few distinct characters';
  return null;
}
