// Keyset pagination in SQL: a timestamp column read as Postgres text (microsecond precision
// survives the round trip through the cursor) and compared back as timestamptz.
import { sql, type RawBuilder } from 'kysely';

import type { Cursor } from '../http/cursor.js';

export type { Cursor };

export function textOf(column: string): RawBuilder<string> {
  return sql<string>`${sql.ref(column)}::text`;
}

export function timestampOf(text: string): RawBuilder<Date> {
  return sql<Date>`${text}::timestamptz`;
}

/**
 * The page after `after` in (time, id) order: rows past the cursor's pair, `asc` or `desc` as the
 * query's order by. The id breaks ties between rows stamped in the same microsecond.
 */
export function pastCursor(
  timeColumn: string,
  idColumn: string,
  order: 'asc' | 'desc',
  after: Cursor,
): RawBuilder<boolean> {
  const op = order === 'asc' ? sql.raw('>') : sql.raw('<');
  return sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) ${op} (${timestampOf(after.at)}, ${after.id})`;
}
