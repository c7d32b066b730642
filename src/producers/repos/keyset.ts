// Keyset pagination in SQL: a timestamp column read as Postgres text (microsecond precision
// survives the round trip through the cursor) and compared back as timestamptz.
import { sql, type RawBuilder } from 'kysely';

export type { Cursor } from '../http/cursor.js';

export function textOf(column: string): RawBuilder<string> {
  return sql<string>`${sql.ref(column)}::text`;
}

export function timestampOf(text: string): RawBuilder<Date> {
  return sql<Date>`${text}::timestamptz`;
}
