// An explicit column mapping sent with an upload (`?map=Phone Number:phone,Given Name:first_name`):
// each file column named on the left is read as the column named on the right, for every body
// kind, before the header rules in contact-row.ts apply.
import { z } from 'zod';
import { UnprocessableError } from '../../core/errors.js';

/** source column → the name it is read as. */
export type ColumnMap = ReadonlyMap<string, string>;

const MAX_PAIRS = 200;

/** `source:target` pairs separated by commas; both names non-empty, each used once. */
export const columnMapSchema = z
  .string()
  .max(20_000)
  .transform((text, ctx): ColumnMap => {
    const map = new Map<string, string>();
    const targets = new Set<string>();
    const pairs = text.split(',');
    if (pairs.length > MAX_PAIRS) ctx.addIssue({ code: 'custom', message: `more than ${MAX_PAIRS} pairs` });
    for (const pair of pairs) {
      const at = pair.lastIndexOf(':');
      const source = pair.slice(0, Math.max(at, 0)).trim();
      const target = pair.slice(at + 1).trim();
      if (at < 0 || source === '' || target === '') {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not a "File column:name" pair` });
      } else if (map.has(source) || targets.has(target)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" maps a column or a name twice` });
      }
      map.set(source, target);
      targets.add(target);
    }
    return map;
  });

/** The header as read through the map; 422 naming every mapped column the file lacks. */
export function applyColumnMap(header: readonly string[], map: ColumnMap | undefined): string[] {
  const names = header.map((h) => h.trim());
  if (!map || map.size === 0) return names;
  const missing = [...map.keys()].filter((source) => !names.includes(source));
  if (missing.length > 0) {
    throw new UnprocessableError(
      `the map names ${missing.map((m) => `"${m}"`).join(', ')} but the file has no such column`,
      { missingColumns: missing },
    );
  }
  return names.map((n) => map.get(n) ?? n);
}
