// Which delimiter a CSV file uses, read from its header line: spreadsheets in European locales
// export `;`, CRMs and databases `\t` or `|`. The header decides for the whole file, so a `;` or
// `|` inside a later cell never splits it. Pure: the head of the file in, the delimiter out.

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/**
 * The candidate found most often outside quotes on the first line (a quoted line break does not
 * end it); ties go to the earlier candidate in CSV_DELIMITERS, and a one-column header is `,`.
 */
export function detectDelimiter(head: string): CsvDelimiter {
  const counts = new Map<string, number>();
  let quoted = false;
  for (let i = head.charCodeAt(0) === 0xfeff ? 1 : 0; i < head.length; i++) {
    const c = head[i]!;
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '\n' || c === '\r') break;
    else counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best: CsvDelimiter = ',';
  for (const d of CSV_DELIMITERS) {
    if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  }
  return best;
}
