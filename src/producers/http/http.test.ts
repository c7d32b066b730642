import { describe, expect, it } from 'vitest';
import type { Resolver } from '../../core/destination.js';
import { decodeCursor, encodeCursor, page } from './cursor.js';
import { loggablePath } from './request-log.js';
import { webhookDestinationRefusal, webhookUrlProblem } from './webhook-url.js';

describe('webhook URL check', () => {
  it('accepts public http and https URLs', () => {
    expect(webhookUrlProblem('https://hooks.example.com/a?b=1')).toBeNull();
    expect(webhookUrlProblem('http://93.184.216.34:8080/x')).toBeNull();
  });

  it('refuses other schemes, credentials and unparseable text', () => {
    expect(webhookUrlProblem('ftp://example.com')).toMatch(/http/);
    expect(webhookUrlProblem('javascript:alert(1)')).toMatch(/http/);
    expect(webhookUrlProblem('https://user:pw@example.com')).toMatch(/credentials/);
    expect(webhookUrlProblem('example.com/hook')).toBe('not a valid URL');
  });

  it('refuses loopback, private, link-local and mapped addresses unless private ones are allowed', async () => {
    const never: Resolver = () => Promise.reject(new Error('DNS must not be asked'));
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1/',
      'http://0x7f000001/',
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://169.254.169.254/',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::127.0.0.1]/',
      'http://[64:ff9b::a00:1]/',
      'http://LOCALHOST/',
      'http://api.localhost/',
    ]) {
      expect(webhookUrlProblem(url), url).toBeNull();
      expect(
        await webhookDestinationRefusal(url, { allowPrivate: false, resolve: never }),
        url,
      ).not.toBeNull();
      expect(await webhookDestinationRefusal(url, { allowPrivate: true, resolve: never }), url).toBeNull();
    }
  });

  it('resolves names: refuses one that resolves to an internal address, or does not resolve', async () => {
    const dns: Record<string, string> = {
      'kubernetes.default.svc': '10.96.0.1',
      'metadata.google.internal': '169.254.169.254',
      'hooks.example.com': '93.184.216.34',
    };
    const resolve: Resolver = (host) => {
      const address = dns[host];
      if (!address) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
      return Promise.resolve([{ address, family: 4 }]);
    };
    const refusal = (url: string) => webhookDestinationRefusal(url, { allowPrivate: false, resolve });
    expect(await refusal('http://kubernetes.default.svc/')).toMatch(/10\.96\.0\.1/);
    expect(await refusal('http://metadata.google.internal/computeMetadata/v1/')).toMatch(/169\.254/);
    expect(await refusal('https://nowhere.example.com/')).toMatch(/does not resolve/);
    expect(await refusal('https://hooks.example.com/in')).toBeNull();
  });
});

describe('request log path', () => {
  it('drops the query string and masks digit runs long enough to be phone numbers', () => {
    expect(loggablePath('/v1/dnc?phone=%2B12025550143&key=od_secret')).toBe('/v1/dnc');
    expect(loggablePath('/v1/things/%2B12025550143/x')).toBe('/v1/things/*******0143/x');
    expect(loggablePath('/v1/batches/0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(
      '/v1/batches/0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect(loggablePath('/v1/batches/12345678-d9cb-469f-a165-708677289501')).toBe(
      '/v1/batches/12345678-d9cb-469f-a165-708677289501',
    );
    expect(loggablePath('/v1/nowhere/2025550146')).toBe('/v1/nowhere/******0146');
  });
});

describe('cursors', () => {
  it('round-trip a microsecond timestamp and id', () => {
    const c = encodeCursor('2026-11-23 12:17:18.123456+00', 'abc');
    expect(decodeCursor(c)).toEqual({ at: '2026-11-23 12:17:18.123456+00', id: 'abc' });
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuse anything the API never issued', () => {
    for (const raw of [
      '',
      'x',
      Buffer.from('{}').toString('base64url'),
      Buffer.from('["yesterday","a"]').toString('base64url'),
    ]) {
      expect(() => decodeCursor(raw), raw).toThrow('invalid cursor');
    }
  });

  it('split a limit + 1 fetch into a page and the cursor of its last item', () => {
    const rows = [1, 2, 3].map((n) => ({ n, at: `2026-01-0${n} 00:00:00+00` }));
    const full = page(rows, 2, (r) => ({ at: r.at, id: String(r.n) }));
    expect(full.items.map((r) => r.n)).toEqual([1, 2]);
    expect(decodeCursor(full.next ?? undefined)).toEqual({ at: '2026-01-02 00:00:00+00', id: '2' });
    expect(page(rows, 3, (r) => ({ at: r.at, id: String(r.n) })).next).toBeNull();
  });
});
