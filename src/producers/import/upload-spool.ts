// An upload is copied whole to a temporary file before the import opens its transaction, so no
// database connection ever waits on a client's bytes. On the way in the bytes pass the
// UploadGuard (size 413, UTF-8 / binary 400) and the pace check (a stalled or trickling client is
// cut off with 408). The file is unlinked as soon as it is opened: it lives only as long as its
// handle, so neither an error nor a crash leaves it behind.
// The caller owns `body`: on failure it is unpiped, never destroyed, so an HTTP handler can still
// answer on the same connection.
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { RequestTimeoutError, ValidationError } from '../../core/errors.js';
import { UploadGuard } from './upload-guard.js';
import { UploadPace, type PaceLimits, type PaceViolation } from './upload-pace.js';

const READ_CHUNK_BYTES = 16 * 1024;

export interface SpoolOptions {
  maxBytes: number;
  /** Absent: no pace check (a local file or a test stream). */
  pace?: PaceLimits | undefined;
  /** Default: the OS temp dir. */
  dir?: string | undefined;
}

export interface SpooledUpload {
  bytes: number;
  /** A stream over the whole upload, from its first byte (as many as wanted, until close()). */
  read(): Readable;
  /** Frees the file (idempotent). */
  close(): Promise<void>;
}

export async function spoolUpload(body: Readable, opts: SpoolOptions): Promise<SpooledUpload> {
  const handle = await openUnlinked(opts.dir ?? tmpdir());
  try {
    const bytes = await copyChecked(body, fileSink(handle), opts);
    let closed: Promise<void> | undefined;
    return {
      bytes,
      read: () => Readable.from(fileChunks(handle), { objectMode: false }),
      close: () => (closed ??= handle.close()),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function openUnlinked(base: string): Promise<FileHandle> {
  const dir = await mkdtemp(join(base, 'outdial-upload-'));
  try {
    return await open(join(dir, 'body.csv'), 'wx+', 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Plain reads and writes on the handle, not fs streams: those hold the handle open until each of
// them is destroyed, and destroying one closes it for all.
function fileSink(handle: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      writeAll(handle, chunk).then(() => done(), done);
    },
  });
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let at = 0; at < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
    at += bytesWritten;
  }
}

/** Small reads: each one is parsed in a single synchronous step, which must stay short. */
async function* fileChunks(handle: FileHandle): AsyncGenerator<Buffer> {
  for (let position = 0; ;) {
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}

/** body → guard → out, settled once: by the end of the body, or by the first failure of any part. */
function copyChecked(body: Readable, out: Writable, opts: SpoolOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const guard = new UploadGuard(opts.maxBytes);
    const pace = opts.pace ? new UploadPace(opts.pace, Date.now()) : undefined;
    let bytes = 0;
    let settled = false;
    if (body.destroyed) {
      reject(body.errored ?? new ValidationError('the upload ended before the file did'));
      return;
    }
    const countBytes = (chunk: Buffer | string) => {
      bytes += chunk.length;
      pace?.received(chunk.length, Date.now());
    };
    const fail = (err: Error) =>
      settle(() => {
        out.destroy();
        reject(err);
      });
    // A client that hangs up may close the body without an error: without this the spool would
    // wait for the rest of the file forever.
    const failOnEarlyClose = () => {
      if (!body.readableEnded) fail(new ValidationError('the upload ended before the file did'));
    };
    const timer = pace
      ? setInterval(() => {
          const violation = pace.check(Date.now());
          if (violation) fail(paceError(violation, pace.limits));
        }, pace.tickMs())
      : undefined;
    function settle(finish: () => void): void {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      body.unpipe(guard);
      body.off('data', countBytes);
      body.off('error', fail);
      body.off('close', failOnEarlyClose);
      guard.destroy();
      finish();
    }
    body.on('data', countBytes);
    body.on('error', fail);
    body.on('close', failOnEarlyClose);
    guard.on('error', fail);
    out.on('error', fail);
    out.on('finish', () => settle(() => resolve(bytes)));
    body.pipe(guard).pipe(out);
  });
}

function paceError(v: PaceViolation, limits: PaceLimits): RequestTimeoutError {
  switch (v.kind) {
    case 'idle':
      return new RequestTimeoutError(`the upload stalled: no data for ${v.idleMs / 1000} s`, {
        limit: 'uploadIdleSeconds',
        max: v.idleMs / 1000,
      });
    case 'slow':
      return new RequestTimeoutError(
        `the upload is too slow: ${v.bytes} bytes in ${Math.round(v.windowMs / 1000)} s, under the minimum of ${limits.minBytesPerSecond} bytes/s`,
        { limit: 'uploadMinBytesPerSecond', min: limits.minBytesPerSecond },
      );
    default: {
      const never: never = v;
      return never;
    }
  }
}
