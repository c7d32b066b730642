import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalisePhone } from './phone.js';

describe('normalisePhone', () => {
  it.each([
    ['+1 (212) 867-5309', '+12128675309'],
    ['(212) 867-5309', '+12128675309'],
    ['212.867.5309', '+12128675309'],
    ['1-212-867-5309', '+12128675309'],
    ['  212 867 5309  ', '+12128675309'],
    ['+4930123456', '+4930123456'],
    ['011 49 30 123456', '+4930123456'],
  ])('normalises %j to %s with default region US', (raw, e164) => {
    expect(normalisePhone(raw, 'US')).toEqual({ ok: true, e164, callingCode: e164.startsWith('+1') ? '1' : '49' });
  });

  it('reads national numbers in the campaign default region', () => {
    expect(normalisePhone('030 123456', 'DE')).toMatchObject({ ok: true, e164: '+4930123456' });
    expect(normalisePhone('07911 123456', 'GB')).toMatchObject({ ok: true, e164: '+447911123456' });
  });

  it.each([
    ['', 'phone is empty'],
    ['   ', 'phone is empty'],
    ['call me', 'phone is not a phone number'],
    ['555-12', 'phone number is too short'],
    ['12345678901234567', 'phone number is too long'],
    ['+999123', 'phone number has no valid country code'],
    ['+1 099 555 0100', 'phone number is not valid (default region US)'],
    ['212 867 5309 ext 5', 'phone has an extension, which cannot be dialled'],
    ['=HYPERLINK("http://x")', 'phone is not a phone number'],
    ['9'.repeat(100), 'phone is not a phone number'],
  ])('refuses %j: %s', (raw, reason) => {
    expect(normalisePhone(raw, 'US')).toEqual({ ok: false, reason });
  });

  it('gives the same E.164 for every common formatting of a US number', () => {
    const areas = fc.constantFrom('212', '312', '415', '617', '713');
    const exchange = fc.integer({ min: 200, max: 999 }).map(String);
    const line = fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0'));
    fc.assert(
      fc.property(areas, exchange, line, (a, x, l) => {
        const expected = normalisePhone(`+1${a}${x}${l}`, 'US');
        for (const f of [`(${a}) ${x}-${l}`, `${a}.${x}.${l}`, `1-${a}-${x}-${l}`, `${a} ${x} ${l}`, `+1 ${a} ${x} ${l}`]) {
          expect(normalisePhone(f, 'US')).toEqual(expected);
        }
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });

  it('only ever returns numbers in E.164 form', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (raw) => {
        const r = normalisePhone(raw, 'US');
        if (r.ok) expect(r.e164).toMatch(/^\+[1-9]\d{6,14}$/);
        else expect(r.reason).not.toBe('');
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
