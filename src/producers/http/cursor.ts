// Opaque keyset cursors for list endpoints: the (timestamp, id) of the last item returned,
// base64url-encoded. The timestamp is Postgres' own text form (microseconds; a JS Date would
// round to milliseconds and skip or repeat rows). A cursor that does not decode is a 400.
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';

export interface Cursor {
  /** timestamptz as Postgres prints it, e.g. "2026-11-23 12:17:18.123456+00". */
  at: string;
  id: string;
}

const pgTimestamp = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/;
const cursorSchema = z.tuple([z.string().regex(pgTimestamp), z.string().min(1).max(64)]);

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (raw === undefined) return null;
  try {
    const [at, id] = cursorSchema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return { at, id };
  } catch {
    // Any decoding failure means the client sent something we never issued.
    throw new ValidationError('invalid cursor');
  }
}

/** Query parameters shared by every list endpoint. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

/** Splits a page fetched with limit + 1 rows into items and the next cursor. */
export function page<T>(
  rows: T[],
  limit: number,
  key: (row: T) => Cursor,
): { items: T[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? encodeCursor(key(last).at, key(last).id) : null };
}
