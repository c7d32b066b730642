// The byte-level gate in front of the CSV parser: counts bytes against the upload limit (413)
// and refuses anything that is not UTF-8 text (400) before a single row is parsed from it.
// A chunk may end inside a multi-byte character, so up to three trailing bytes wait for the next.
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError, ValidationError } from '../../core/errors.js';

/** Bytes at the end of `buf` that start a UTF-8 sequence the buffer does not complete. */
export function incompleteTail(buf: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export class UploadGuard extends Transform {
  private bytes = 0;
  /** Bytes already checked and passed on (offsets in error messages count from here). */
  private passed = 0;
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.bytes += buf.length;
    if (this.bytes > this.maxBytes) {
      done(new PayloadTooLargeError(`the upload is larger than ${this.maxBytes} bytes`, { maxBytes: this.maxBytes }));
      return;
    }
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, buf]) : buf;
    const keep = incompleteTail(data);
    const complete = keep > 0 ? data.subarray(0, data.length - keep) : data;
    this.carry = keep > 0 ? Buffer.from(data.subarray(data.length - keep)) : Buffer.alloc(0);
    const offset = this.passed;
    this.passed += complete.length;
    done(checkText(complete, offset), complete);
  }

  override _flush(done: TransformCallback): void {
    done(this.carry.length > 0 ? notUtf8() : null);
  }
}

function checkText(buf: Buffer, offset: number): Error | null {
  if (!isUtf8(buf)) return notUtf8();
  // Postgres text cannot hold NUL, and no spreadsheet writes one: this is a binary file.
  const nul = buf.indexOf(0);
  if (nul >= 0) return new ValidationError(`the file is binary, not CSV text (NUL byte at offset ${offset + nul})`);
  return null;
}

function notUtf8(): ValidationError {
  return new ValidationError('the file is not UTF-8 text');
}
