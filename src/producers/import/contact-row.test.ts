import { describe, expect, it } from 'vitest';
import { UnprocessableError, ValidationError } from '../../core/errors.js';
import { columnLayout, MAX_CELL_CHARS, normaliseRow, type RowContext } from './contact-row.js';
import { createZoneNameCache, loadZoneTable } from './time-zones.js';

const context: RowContext = {
  defaultRegion: 'US',
  fallbackZone: 'America/New_York',
  table: loadZoneTable(),
  zoneName: createZoneNameCache(),
};

describe('columnLayout', () => {
  it('finds phone, timezone and name case-insensitively and keeps every other column as a variable', () => {
    const layout = columnLayout(['Phone', 'first_name', 'TimeZone', 'Name', 'Store '], ['first_name']);
    expect(layout).toMatchObject({ phone: 0, timezone: 2, name: 3 });
    expect(layout.variables).toEqual([
      { index: 1, key: 'first_name' },
      { index: 4, key: 'Store' },
    ]);
  });

  it('refuses a header without a phone column with 422', () => {
    expect(() => columnLayout(['name', 'fax', 'phones', 'telephone number'], [])).toThrow(UnprocessableError);
  });

  it.each([
    ['Phone Number'],
    ['phone_number'],
    ['PHONE NUMBER'],
    ['Mobile'],
    ['Telephone'],
    ['tel'],
    [' Phone_ Number '],
  ])('reads %j as the phone column, not as a variable', (header) => {
    const layout = columnLayout(['first_name', header], ['first_name']);
    expect(layout.phone).toBe(1);
    expect(layout.variables).toEqual([{ index: 0, key: 'first_name' }]);
  });

  it('prefers phone over the other phone headers, which stay variables', () => {
    const layout = columnLayout(['Mobile', 'Tel', 'Phone Number', 'Phone'], []);
    expect(layout.phone).toBe(3);
    expect(layout.variables.map((v) => v.key)).toEqual(['Mobile', 'Tel', 'Phone Number']);
    expect(columnLayout(['Tel', 'Mobile'], []).phone).toBe(1);
  });

  it('names every template variable that has no column, with 422', () => {
    const err = catchError(() => columnLayout(['phone', 'store'], ['first_name', 'store', 'pharmacy']));
    expect(err).toBeInstanceOf(UnprocessableError);
    expect(err.message).toContain('{{first_name}}, {{pharmacy}}');
    expect((err as UnprocessableError).details).toEqual({ missingColumns: ['first_name', 'pharmacy'] });
  });

  it.each([
    [['phone', 'name', 'NAME']],
    [['phone', '', 'x']],
    [['phone', 'x'.repeat(201)]],
  ])('refuses the unusable header %j with 400', (header) => {
    expect(() => columnLayout(header, [])).toThrow(ValidationError);
  });
});

describe('normaliseRow', () => {
  const layout = columnLayout(['phone', 'name', 'timezone', 'first_name'], ['first_name']);

  it('builds a contact from a valid row with the zones of its number', () => {
    expect(normaliseRow(['(212) 867-5309', 'Ann', '', 'Ann'], 7, layout, context)).toEqual({
      ok: true,
      contact: {
        line: 7,
        phone: '+12128675309',
        zones: ['America/New_York'],
        source: 'number',
        name: 'Ann',
        variables: { first_name: 'Ann' },
      },
    });
  });

  it('prefers an explicit IANA zone, stored in its canonical spelling', () => {
    const row = normaliseRow(['2128675309', '', 'europe/paris', 'x'], 2, layout, context);
    expect(row).toMatchObject({ ok: true, contact: { zones: ['Europe/Paris'], source: 'explicit', name: null } });
  });

  it('rejects a row whose explicit zone is not an IANA zone', () => {
    expect(normaliseRow(['2128675309', '', 'EST+5', 'x'], 2, layout, context)).toEqual({
      ok: false,
      reason: 'timezone "EST+5" is not an IANA time zone',
    });
  });

  it('rejects a row with the wrong number of fields', () => {
    expect(normaliseRow(['2128675309', 'Ann'], 3, layout, context)).toEqual({ ok: false, reason: 'expected 4 fields, found 2' });
  });

  it('rejects a row with a cell over the size cap instead of storing it', () => {
    const row = normaliseRow(['2128675309', 'Ann', '', 'x'.repeat(MAX_CELL_CHARS + 1)], 3, layout, context);
    expect(row).toEqual({ ok: false, reason: `column "first_name" is longer than ${MAX_CELL_CHARS} characters` });
  });

  it('keeps a column named __proto__ as an ordinary variable', () => {
    const odd = columnLayout(['phone', '__proto__', 'constructor'], []);
    const row = normaliseRow(['2128675309', 'a', 'b'], 2, odd, context);
    expect(row.ok && JSON.stringify(row.contact.variables)).toBe('{"__proto__":"a","constructor":"b"}');
  });

  it('stores injection strings and unicode verbatim', () => {
    const nasty = `=cmd|' /C calc'!A0 '); drop table contacts;-- <script>alert(1)</script> 👩‍⚕️ Zoë`;
    const row = normaliseRow(['2128675309', nasty, '', nasty], 3, layout, context);
    expect(row).toMatchObject({ ok: true, contact: { name: nasty, variables: { first_name: nasty } } });
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
  }
  throw new Error('expected an error');
}
