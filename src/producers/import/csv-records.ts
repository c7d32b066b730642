// A CSV byte stream (the spooled upload, already checked for size and UTF-8) → records with the
// physical line each starts on (header = line 1), read with backpressure so memory stays flat
// whatever the file's size. Malformed quoting is a file-level error: after an unclosed quote no
// later row boundary can be trusted.
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { ValidationError } from '../../core/errors.js';

export interface CsvRecord {
  line: number;
  fields: string[];
}

export async function* csvRecords(source: Readable): AsyncGenerator<CsvRecord> {
  // Blank lines come through as [''] and are dropped here, so every physical line is seen and
  // counted (csv-parse's own `info` costs an object copy per record and miscounts CRLF in quotes).
  const parser = parse({ bom: true, relax_column_count: true, relax_quotes: true });
  const forwardSourceError = (err: Error) => parser.destroy(err);
  source.on('error', forwardSourceError);
  source.pipe(parser);
  const lines = new LineCounter();
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      const line = lines.startOf(fields);
      if (fields.length === 1 && fields[0] === '') continue;
      yield { line, fields };
    }
  } catch (err) {
    throw err instanceof CsvError ? fileError(err, lines.next) : err;
  } finally {
    source.unpipe(parser);
    source.off('error', forwardSourceError);
    parser.destroy();
  }
}

/** Physical line each record starts on: one line per record plus the line breaks inside its fields. */
export class LineCounter {
  /** Where the next record starts: after a parse error, the line of the record that broke it. */
  next = 1;

  startOf(fields: readonly string[]): number {
    const line = this.next;
    let breaks = 0;
    for (const f of fields) {
      if (f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0) breaks += lineBreaks(f);
    }
    this.next = line + 1 + breaks;
    return line;
  }
}

/** "\r\n", "\r" and "\n" each end one line. */
function lineBreaks(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

function fileError(err: CsvError, line: number): ValidationError {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ValidationError(`unbalanced quotes: the record starting on line ${line} opens a quote that is never closed`, { line });
  }
  return new ValidationError(`malformed CSV in the record starting on line ${line}: ${err.message}`, { line, csvCode: err.code });
}
