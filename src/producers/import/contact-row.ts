// One uploaded row → one contact draft or one rejection reason. Pure: the same code serves CSV
// records and JSON contacts, and every rule here is unit-tested without a database.
// Columns: `phone` (required; PHONE_HEADERS are read as it), `timezone` and `name` (optional,
// matched case-insensitively); every other column is a template variable kept under its own spelling.
import { UnprocessableError, ValidationError } from '../../core/errors.js';
import type { TzSource } from '../../core/db/schema.js';
import { normalisePhone, type PhoneResult } from './phone.js';
import { zonesForNumber, type ResolvedZones, type ZoneTable } from './time-zones.js';

/** A cell longer than this is data nobody meant to dial with; the row is refused, not the file. */
export const MAX_CELL_CHARS = 64 * 1024;

/**
 * Columns of a CSV file, distinct keys of JSON contacts: more is not a contact list, and would
 * bloat every contact's variables (and the work done per row) without bound.
 */
export const MAX_COLUMNS = 200;

/** The one refusal for too many columns, whichever body kind or record found it. */
export function tooManyColumns(where: string, extra: Record<string, unknown> = {}): UnprocessableError {
  return new UnprocessableError(`${where} more than ${MAX_COLUMNS} columns (the limit)`, {
    limit: 'maxColumns',
    max: MAX_COLUMNS,
    ...extra,
  });
}

export interface ColumnLayout {
  names: readonly string[];
  phone: number;
  timezone: number;
  name: number;
  variables: readonly { index: number; key: string }[];
}

export interface ContactDraft {
  line: number;
  phone: string;
  zones: readonly string[];
  source: TzSource;
  name: string | null;
  variables: Record<string, string>;
}

export type RowOutcome = { ok: true; contact: ContactDraft } | { ok: false; reason: string };

export interface RowContext {
  defaultRegion: string;
  fallbackZone: string;
  table: ZoneTable;
  /** Canonical IANA name or undefined (memoised canonicalZone). */
  zoneName: (name: string) => string | undefined;
}

const MAX_COLUMN_NAME = 200;
const reserved = new Set(['phone', 'timezone', 'name']);

/**
 * Headers read as `phone`, in order of preference, compared without case, spaces or underscores
 * (so `Phone Number`, `phone_number` and `PHONENUMBER` are one name): what CRMs and phones export.
 */
export const PHONE_HEADERS = ['phone', 'phonenumber', 'mobile', 'telephone', 'tel'] as const;

function headerKey(name: string): string {
  return name.toLowerCase().replace(/[\s_]+/g, '');
}

/** The phone column: the first header matching the most preferred PHONE_HEADERS entry, or -1. */
function phoneColumn(names: readonly string[]): number {
  const keys = names.map(headerKey);
  for (const alias of PHONE_HEADERS) {
    const index = keys.indexOf(alias);
    if (index >= 0) return index;
  }
  return -1;
}

/**
 * Reads the header: throws 400 for an unusable header and 422 when a required column is
 * missing (`phone`, or a variable the campaign's templates use), before any row is looked at.
 */
export function columnLayout(header: readonly string[], requiredVariables: readonly string[]): ColumnLayout {
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (n === '') throw new ValidationError(`column ${i + 1} of the header has no name`);
    if (n.length > MAX_COLUMN_NAME || n.includes('\u0000') || /\p{Cs}/u.test(n)) {
      throw new ValidationError(`column ${i + 1} of the header is not a usable column name`);
    }
    const key = reserved.has(n.toLowerCase()) ? n.toLowerCase() : n;
    if (seen.has(key)) throw new ValidationError(`column "${n}" appears twice in the header`);
    seen.add(key);
  });
  const find = (c: string) => names.findIndex((n) => n.toLowerCase() === c);
  const phone = phoneColumn(names);
  if (phone < 0) {
    throw new UnprocessableError(
      'the file has no "phone" column (nor "Phone Number", "Mobile", "Telephone" or "Tel"; map one with ?map=Column:phone)',
      { missingColumns: ['phone'] },
    );
  }
  const missing = requiredVariables.filter((v) => !names.includes(v));
  if (missing.length > 0) {
    throw new UnprocessableError(
      `the campaign's templates use ${missing.map((m) => `{{${m}}}`).join(', ')} but the file has no such column`,
      { missingColumns: missing },
    );
  }
  const variables = names
    .map((key, index) => ({ index, key }))
    .filter(({ key, index }) => index !== phone && !reserved.has(key.toLowerCase()));
  return { names, phone, timezone: find('timezone'), name: find('name'), variables };
}

/** `parsedPhone`: the phone cell already parsed (by the phone pool); parsed here when absent. */
export function normaliseRow(
  fields: readonly string[],
  line: number,
  layout: ColumnLayout,
  ctx: RowContext,
  parsedPhone?: PhoneResult,
): RowOutcome {
  if (fields.length !== layout.names.length) {
    return { ok: false, reason: `expected ${layout.names.length} fields, found ${fields.length}` };
  }
  for (let i = 0; i < fields.length; i++) {
    if (fields[i]!.length > MAX_CELL_CHARS) {
      return { ok: false, reason: `column "${layout.names[i]}" is longer than ${MAX_CELL_CHARS} characters` };
    }
  }
  const phone = parsedPhone ?? normalisePhone(fields[layout.phone]!, ctx.defaultRegion);
  if (!phone.ok) return phone;
  const explicit = layout.timezone >= 0 ? fields[layout.timezone]!.trim() : '';
  let zones: ResolvedZones;
  if (explicit !== '') {
    const zone = ctx.zoneName(explicit);
    if (!zone) return { ok: false, reason: `timezone "${truncate(explicit)}" is not an IANA time zone` };
    zones = { zones: [zone], source: 'explicit' };
  } else {
    zones = zonesForNumber(ctx.table, phone.e164, phone.callingCode, ctx.fallbackZone);
  }
  // No prototype: a column named "__proto__" is a variable like any other, not a prototype swap.
  const variables = Object.create(null) as Record<string, string>;
  for (const v of layout.variables) variables[v.key] = fields[v.index]!;
  const name = layout.name >= 0 ? fields[layout.name]! : '';
  return {
    ok: true,
    contact: { line, phone: phone.e164, zones: zones.zones, source: zones.source, name: name === '' ? null : name, variables },
  };
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
