import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError, RequestTimeoutError, ValidationError } from '../../core/errors.js';
import { spoolUpload, type SpoolOptions } from './upload-spool.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spool(input: string | Buffer | Buffer[] | Readable, opts: Partial<SpoolOptions> = {}) {
  const body =
    input instanceof Readable
      ? input
      : Readable.from(
          Array.isArray(input) ? input : [typeof input === 'string' ? Buffer.from(input) : input],
        );
  return spoolUpload(body, { maxBytes: 1e9, dir, ...opts });
}

/** A body that sends `first` and then nothing, like a client that stalls mid-upload. */
function stalled(first: string): Readable {
  const body = new Readable({ read() {} });
  body.push(first);
  return body;
}

describe('spoolUpload', () => {
  it('keeps the whole body and reads it back as often as asked, leaving no file in its directory', async () => {
    const csv = 'phone,name\n1,Zoë 👩‍⚕️ 北京\n'.repeat(5000);
    const bytes = Buffer.from(csv);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 777) }, (_, i) =>
      bytes.subarray(i * 777, (i + 1) * 777),
    );
    const s = await spool(chunks);
    try {
      expect(s.bytes).toBe(bytes.length);
      expect(await readdir(dir)).toEqual([]);
      expect(await text(s.read())).toBe(csv);
      expect(await text(s.read())).toBe(csv);
    } finally {
      await s.close();
      await s.close();
    }
  });

  it('refuses text that is not UTF-8', async () => {
    await expect(spool(Buffer.from('phone,name\n1,Zo\xeb\n', 'latin1'))).rejects.toThrow(ValidationError);
  });

  it('refuses a file that ends inside a multi-byte character', async () => {
    await expect(spool(Buffer.from([0x70, 0x0a, 0xe2, 0x82]))).rejects.toThrow('not UTF-8');
  });

  it('refuses binary content even when it happens to be valid UTF-8', async () => {
    await expect(spool(Buffer.from('phone\n1\u0000\n'))).rejects.toThrow(/binary/);
  });

  it('stops at the byte limit with 413', async () => {
    await expect(spool(Buffer.alloc(2000, 'a'), { maxBytes: 1000 })).rejects.toThrow(PayloadTooLargeError);
  });

  it('fails instead of waiting when the body closes before it ends', async () => {
    const body = stalled('phone\n2128675309\n');
    const run = spool(body);
    body.destroy();
    await expect(run).rejects.toThrow('the upload ended before the file did');
  });

  it('cuts off a body that stops sending with 408, and leaves the caller’s stream open', async () => {
    const body = stalled('phone\n2128675309\n');
    const started = Date.now();
    await expect(
      spool(body, { pace: { idleMs: 150, minBytesPerSecond: 0, windowMs: 1000 } }),
    ).rejects.toMatchObject({
      status: 408,
      code: 'request_timeout',
      message: 'the upload stalled: no data for 0.15 s',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(body.destroyed).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('cuts off a body that trickles under the minimum rate with 408', async () => {
    const body = new Readable({ read() {} });
    const drip = setInterval(() => body.push('1'), 10);
    try {
      const pace = { idleMs: 1000, minBytesPerSecond: 1000, windowMs: 200 };
      await expect(spool(body, { pace })).rejects.toThrow(RequestTimeoutError);
      await expect(spool(body, { pace })).rejects.toThrow(/too slow.*under the minimum of 1000 bytes\/s/);
    } finally {
      clearInterval(drip);
    }
  });

  it('lets a body that keeps pace through', async () => {
    const body = new Readable({ read() {} });
    let sent = 0;
    const feed = setInterval(() => {
      body.push('2128675309,ok\n');
      if (++sent === 20) {
        clearInterval(feed);
        body.push(null);
      }
    }, 10);
    const s = await spool(body, { pace: { idleMs: 200, minBytesPerSecond: 100, windowMs: 50 } });
    await s.close();
    expect(s.bytes).toBe(20 * 14);
  });

  it('leaves the caller’s stream open when it fails', async () => {
    const body = Readable.from([Buffer.from('phone\n\u0000\n')]);
    await expect(spool(body)).rejects.toThrow(ValidationError);
    expect(body.destroyed && body.errored).toBeFalsy();
  });
});
