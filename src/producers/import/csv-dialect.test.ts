import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_DELIMITERS, detectDelimiter } from './csv-dialect.js';

describe('detectDelimiter', () => {
  it.each([
    ['phone,first_name\n1,a;b|c\td', ','],
    ['\ufeffPhone;Vorname;Stadt\r\n+49 30 1234567;Jörg;Köln\r\n', ';'],
    ['Phone Number\tGiven Name\n', '\t'],
    ['phone|first_name|city\n', '|'],
    ['"Phone; Number";"Given, Name";x\n', ';'],
    ['"a,b,c";d\n', ';'],
    ['"a\nb,c,d";e;f\n', ';'],
    ['phone\n1,2,3\n', ','],
    ['phone;first_name,city\n', ','],
    ['', ','],
  ])('reads %j as %j', (head, delimiter) => {
    expect(detectDelimiter(head)).toBe(delimiter);
  });

  it('finds the delimiter of any header, whatever the quoted names and later lines hold', () => {
    const plain = fc.stringMatching(/^[A-Za-z0-9 _.-]{1,12}$/);
    const quoted = fc.string({ maxLength: 12 }).map((s) => `"${s.replaceAll('"', '""')}"`);
    fc.assert(
      fc.property(
        fc.constantFrom(...CSV_DELIMITERS),
        fc.array(fc.oneof(plain, quoted), { minLength: 2, maxLength: 20 }),
        fc.string({ maxLength: 40 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        (delimiter, names, rest, eol, bom) => {
          const head = `${bom ? '\ufeff' : ''}${names.join(delimiter)}${eol}${rest}`;
          expect(detectDelimiter(head)).toBe(delimiter);
        },
      ),
      { seed: 1307, numRuns: 500 },
    );
  });
});
