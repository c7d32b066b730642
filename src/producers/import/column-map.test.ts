import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../core/errors.js';
import { applyColumnMap, columnMapSchema } from './column-map.js';

describe('columnMapSchema', () => {
  it('reads source:target pairs, trimming both names', () => {
    const map = columnMapSchema.parse('Phone Number:phone, Given Name : first_name');
    expect([...map]).toEqual([
      ['Phone Number', 'phone'],
      ['Given Name', 'first_name'],
    ]);
  });

  it.each(['', 'phone', ':phone', 'Phone Number:', 'a:x,a:y', 'a:x,b:x', 'a:x,,b:y'])('refuses %j', (text) => {
    expect(columnMapSchema.safeParse(text).success).toBe(false);
  });
});

describe('applyColumnMap', () => {
  it('renames the mapped columns and keeps the others', () => {
    const map = columnMapSchema.parse('Phone Number:phone,Given Name:first_name');
    expect(applyColumnMap([' Given Name', 'Phone Number', 'City'], map)).toEqual(['first_name', 'phone', 'City']);
  });

  it('answers 422 naming every mapped column the file lacks', () => {
    const map = columnMapSchema.parse('Mobile:phone,Given Name:first_name,Phone Number:x');
    let err: unknown;
    try {
      applyColumnMap(['Phone Number', 'City'], map);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnprocessableError);
    expect((err as UnprocessableError).message).toContain('"Mobile", "Given Name"');
    expect((err as UnprocessableError).details).toEqual({ missingColumns: ['Mobile', 'Given Name'] });
  });
});
