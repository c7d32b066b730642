// A streamed CSV body → records with the physical line each starts on (header = line 1), read
// with backpressure so memory stays flat whatever the file's size. Malformed quoting is a
// file-level error: after an unclosed quote no later row boundary can be trusted.
// The caller owns `body`: on failure it is unpiped, never destroyed, so an HTTP handler can
// still answer on the same connection.
import type { Readable } from 'node:stream';
import { CsvError, parse, type Info } from 'csv-parse';
import { ValidationError } from '../../core/errors.js';
import { UploadGuard } from './upload-guard.js';

export interface CsvRecord {
  line: number;
  fields: string[];
}

export async function* csvRecords(body: Readable, opts: { maxBytes: number }): AsyncGenerator<CsvRecord> {
  const guard = new UploadGuard(opts.maxBytes);
  const parser = parse({ bom: true, info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true });
  const forwardBodyError = (err: Error) => guard.destroy(err);
  body.on('error', forwardBodyError);
  guard.on('error', (err) => parser.destroy(err));
  body.pipe(guard).pipe(parser);
  const lines = new LineCounter();
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      yield { line: lines.startOf(item.record, item.info.lines), fields: item.record };
    }
  } catch (err) {
    throw err instanceof CsvError ? fileError(err, lines.lastLine) : err;
  } finally {
    body.unpipe(guard);
    body.off('error', forwardBodyError);
    guard.destroy();
    parser.destroy();
  }
}

/**
 * csv-parse reports the line a record *ends* on and counts "\r\n" inside a quoted field as two
 * lines; subtracting the breaks inside the record and the CRLF surplus of earlier records gives
 * the physical line the record starts on.
 */
export class LineCounter {
  private crlfSurplus = 0;
  lastLine = 0;

  startOf(fields: readonly string[], endLineAsParsed: number): number {
    let breaks = 0;
    let crlf = 0;
    for (const f of fields) {
      if (f.indexOf('\n') < 0 && f.indexOf('\r') < 0) continue;
      breaks += count(f, '\n') + count(f, '\r');
      crlf += count(f, '\r\n');
    }
    const line = endLineAsParsed - breaks - this.crlfSurplus;
    this.crlfSurplus += crlf;
    this.lastLine = line;
    return line;
  }
}

function count(s: string, needle: string): number {
  let n = 0;
  for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length)) n++;
  return n;
}

function fileError(err: CsvError, lastLine: number): ValidationError {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ValidationError(`unbalanced quotes: a quoted field opened after line ${lastLine} is never closed`);
  }
  return new ValidationError(`malformed CSV after line ${lastLine}: ${err.message}`, { csvCode: err.code });
}
