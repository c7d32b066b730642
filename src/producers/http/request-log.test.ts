import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskPhonesIn } from '../../core/logger.js';
import { loggablePath } from './request-log.js';

const digitsOf = (text: string): string => text.replace(/\D/g, '');

/** What a reader of the log could recover: every escape undone, however many times it was applied. */
function fullyDecoded(text: string): string {
  let out = text;
  for (let i = 0; i < 10; i++) {
    const next = out.replace(/%[0-9a-f]{2}/gi, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
    if (next === out) break;
    out = next;
  }
  return out;
}

describe('request log path: phone numbers in any format', () => {
  it('masks the formats a hostile review found in paths', () => {
    expect(loggablePath('/v1/dnc/212-555-0142')).toBe('/v1/dnc/******0142');
    expect(loggablePath('/v1/dnc/(212)%20555-0142')).toBe('/v1/dnc/******0142');
    expect(loggablePath('/v1/dnc/%2B1%20212%20555%200142')).toBe('/v1/dnc/*******0142');
    expect(loggablePath('/v1/dnc/1.212.555.0142')).toBe('/v1/dnc/*******0142');
    expect(loggablePath('/v1/dnc/+12125550142')).toBe('/v1/dnc/*******0142');
    expect(loggablePath('/v1/dnc/%252B1%2520212%2520555%25200142')).toBe('/v1/dnc/*******0142');
    expect(loggablePath('/v1/dnc/%32%31%32%35%35%35%30%31%34%32')).toBe('/v1/dnc/******0142');
    expect(loggablePath('/v1/dnc/tel:+1-212-555-0142;ext=9')).toBe('/v1/dnc/tel:*******0142;ext=9');
    expect(loggablePath('/v1/dnc/call2125550142')).toBe('/v1/dnc/call******0142');
    // An escape that is not valid UTF-8 does not hide the digits behind it.
    expect(loggablePath('/v1/dnc/%E2%32%31%32%35%35%35%30%31%34%32')).not.toContain('%32%31%32');
  });

  it('keeps uuids, short numbers and words as they are', () => {
    for (const path of [
      '/v1/batches/0f8fad5b-d9cb-469f-a165-70867728950e',
      '/v1/batches/12345678-d9cb-469f-a165-708677289501',
      '/v1/batches/12345678-1234-4234-8234-123456789012/attempts',
      '/v1/campaigns/spring-sale/batches/42',
      '/v1/webhooks/123456',
      '/healthz',
    ]) {
      expect(loggablePath(path)).toBe(path);
    }
    expect(maskPhonesIn('order 12 of 345, call 212 555 0142 today')).toBe(
      'order 12 of 345, call ******0142 today',
    );
  });

  it('never logs the digits of a number, whatever its format, encoding or place in the path', () => {
    const digit = fc.integer({ min: 0, max: 9 }).map(String);
    const national = fc
      .tuple(fc.integer({ min: 2, max: 9 }), fc.array(digit, { minLength: 9, maxLength: 9 }))
      .map(([first, rest]) => `${first}${rest.join('')}`);
    const separator = fc.constantFrom('', ' ', '-', '.', '\u00a0', '\u2013', '_');
    const formatted = fc
      .record({
        n: national,
        country: fc.constantFrom('', '1', '+1', '+1 ', '1-', '1.', '(+1) '),
        parens: fc.boolean(),
        seps: fc.tuple(separator, separator),
      })
      .map(({ n, country, parens, seps }) => {
        const area = parens ? `(${n.slice(0, 3)})` : n.slice(0, 3);
        return { n, text: `${country}${area}${seps[0]}${n.slice(3, 6)}${seps[1]}${n.slice(6)}` };
      });
    const encodeEvery = (s: string) =>
      [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    const encoding = fc.constantFrom<(s: string) => string>(
      (s) => encodeURI(s),
      (s) => encodeURIComponent(s),
      (s) => encodeURIComponent(encodeURIComponent(s)),
      encodeEvery,
      (s) => encodeURIComponent(encodeEvery(s)),
    );
    const placement = fc.constantFrom<(s: string) => string>(
      (s) => `/v1/dnc/${s}`,
      (s) => `/v1/dnc/${s}/x`,
      (s) => `/v1/contacts/call-${s}`,
      (s) => `/v1/dnc/${s}?phone=${s}`,
      (s) => `/v1/dnc?phone=${s}&n=${s}`,
    );
    fc.assert(
      fc.property(formatted, encoding, placement, ({ n, text }, encode, place) => {
        const logged = loggablePath(place(encode(text)));
        // The masked part never survives, not even spread across escapes or punctuation.
        expect(digitsOf(fullyDecoded(logged))).not.toContain(n.slice(0, 6));
        expect(logged).not.toContain(n);
      }),
      { seed: 19_0142, numRuns: 3000 },
    );
  });
});
