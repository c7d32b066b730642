// A CSV byte stream (the spooled upload, already checked for size and UTF-8) → records with the
// physical line each starts on (header = line 1), read with backpressure so memory stays flat
// whatever the file's size. Malformed quoting is a file-level error: after an unclosed quote no
// later row boundary can be trusted.
// Every record is bounded while it is parsed, so no file can make one record cost unbounded memory
// or one long stretch of the event loop: at most MAX_COLUMNS + 1 fields (delimiters past that stay
// in the last field) and MAX_RECORD_BYTES, the header MAX_HEADER_BYTES. Beyond, 422 naming the limit.
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { UnprocessableError, ValidationError } from '../../core/errors.js';
import type { CsvDelimiter } from './csv-dialect.js';
import { MAX_CELL_CHARS, MAX_COLUMNS, tooManyColumns } from './contact-row.js';

/** 200 column names of up to 200 characters each fit with room to spare. */
export const MAX_HEADER_BYTES = 64 * 1024;
/**
 * Well above a sane row (a cell past MAX_CELL_CHARS only gets its row rejected), low enough that
 * holding and scanning one record stays cheap. csv-parse counts characters of finished fields and
 * bytes of the current one, never more than the record's bytes.
 */
export const MAX_RECORD_BYTES = 16 * MAX_CELL_CHARS;

export interface CsvRecord {
  line: number;
  fields: string[];
}

/** `delimiter`: the file's own, from detectDelimiter on its head (a BOM and CRLF are read as is). */
export async function* csvRecords(source: Readable, delimiter: CsvDelimiter = ','): AsyncGenerator<CsvRecord> {
  // Blank lines come through as [''] and are dropped here, so every physical line is seen and
  // counted (csv-parse's own `info` costs an object copy per record and miscounts CRLF in quotes).
  const parser = parse(
    // autoDestroy off: a parse error must not drop the records parsed before it (they carry the
    // line count), so the error surfaces after them, in file order.
    Object.assign(
      {
        bom: true,
        delimiter,
        relax_column_count: true,
        relax_quotes: true,
        max_record_size: MAX_RECORD_BYTES,
        ignore_last_delimiters: MAX_COLUMNS + 1,
      },
      { autoDestroy: false },
    ),
  );
  const forwardSourceError = (err: Error) => parser.destroy(err);
  source.on('error', forwardSourceError);
  source.pipe(parser);
  const lines = new LineCounter();
  let header = true;
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      const line = lines.startOf(fields);
      if (fields.length === 1 && fields[0] === '') continue;
      checkRecord(fields, line, header);
      header = false;
      yield { line, fields };
    }
  } catch (err) {
    throw err instanceof CsvError ? fileError(err, lines.next, header) : err;
  } finally {
    source.unpipe(parser);
    source.off('error', forwardSourceError);
    parser.destroy();
  }
}

function checkRecord(fields: readonly string[], line: number, header: boolean): void {
  if (fields.length > MAX_COLUMNS) throw tooWide(line, header);
  if (!header) return;
  let bytes = fields.length - 1;
  for (const f of fields) bytes += Buffer.byteLength(f);
  if (bytes > MAX_HEADER_BYTES) throw headerTooLarge();
}

function tooWide(line: number, header: boolean): UnprocessableError {
  return header ? tooManyColumns('the header has') : tooManyColumns(`the record starting on line ${line} has`, { line });
}

function headerTooLarge(): UnprocessableError {
  return new UnprocessableError(`the header is larger than ${MAX_HEADER_BYTES} bytes (the limit)`, {
    limit: 'maxHeaderBytes',
    max: MAX_HEADER_BYTES,
  });
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

function fileError(err: CsvError, line: number, header: boolean): ValidationError | UnprocessableError {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ValidationError(`unbalanced quotes: the record starting on line ${line} opens a quote that is never closed`, { line });
  }
  if (err.code === 'CSV_MAX_RECORD_SIZE') return recordTooLarge(err, line, header);
  return new ValidationError(`malformed CSV in the record starting on line ${line}: ${err.message}`, { line, csvCode: err.code });
}

/** Past MAX_COLUMNS fields the delimiters pile up in the last one: that is the limit it broke. */
function recordTooLarge(err: CsvError, line: number, header: boolean): UnprocessableError {
  const fieldsSoFar = err.column;
  if (typeof fieldsSoFar === 'number' && fieldsSoFar >= MAX_COLUMNS) return tooWide(line, header);
  if (header) return headerTooLarge();
  return new UnprocessableError(`the record starting on line ${line} is larger than ${MAX_RECORD_BYTES} bytes (the limit)`, {
    limit: 'maxRecordBytes',
    max: MAX_RECORD_BYTES,
    line,
  });
}
