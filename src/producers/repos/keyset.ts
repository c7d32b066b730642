// Keyset pagination in SQL: a timestamp column read as Postgres text (microsecond precision
// survives the round trip through the cursor) and compared back as timestamptz.
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';

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
function pastCursor(
  timeColumn: string,
  idColumn: string,
  order: 'asc' | 'desc',
  after: Cursor,
): RawBuilder<boolean> {
  const op = order === 'asc' ? sql.raw('>') : sql.raw('<');
  return sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) ${op} (${timestampOf(after.at)}, ${after.id})`;
}

/**
 * One page of a keyset-paginated query: the rows past `after` (if any) in (time, id) order, plus
 * one more, which tells the caller a next page exists.
 */
export function keysetPage<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  page: { time: string; id: string; order: 'asc' | 'desc'; after?: Cursor | null | undefined; limit: number },
): SelectQueryBuilder<DB, TB, O> {
  const from = page.after ? q.where(pastCursor(page.time, page.id, page.order, page.after)) : q;
  return from
    .orderBy(sql.ref(page.time), page.order)
    .orderBy(sql.ref(page.id), page.order)
    .limit(page.limit + 1);
}
