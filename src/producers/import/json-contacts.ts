// JSON contacts ({phone, timezone?, name?, ...variables}) → the same rows a CSV gives, so both
// bodies share one set of rules. The "columns" of a JSON batch are the keys its contacts use.
import type { SourceRow } from './contact-loader.js';
import { MAX_COLUMNS, tooManyColumns } from './contact-row.js';

export function jsonColumns(contacts: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const c of contacts) {
    if (!isRecord(c)) continue;
    for (const k of Object.keys(c)) keys.add(k);
    if (keys.size > MAX_COLUMNS) throw tooManyColumns('the contacts use');
  }
  return [...keys];
}

/** Line numbers of a JSON batch are 1-based positions in the contacts array. */
export function* jsonRows(contacts: readonly unknown[], columns: readonly string[]): Generator<SourceRow> {
  for (let i = 0; i < contacts.length; i++) {
    const c = contacts[i];
    if (!isRecord(c)) {
      yield { line: i + 1, reason: 'contact is not an object' };
      continue;
    }
    const fields: string[] = [];
    let problem: string | undefined;
    for (const key of columns) {
      const text = cellText(c[key]);
      if (typeof text === 'string') fields.push(text);
      else problem ??= `field "${key}" ${text.problem}`;
    }
    yield problem === undefined ? { line: i + 1, fields } : { line: i + 1, reason: problem };
  }
}

/** Text Postgres can store: no NUL, no lone UTF-16 surrogate (both fail the whole statement). */
function cellText(v: unknown): string | { problem: string } {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return { problem: 'must be a string or a number' };
  if (v.includes('\u0000') || /\p{Cs}/u.test(v)) return { problem: 'contains characters that are not text' };
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
