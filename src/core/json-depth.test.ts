import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

/** Depth as the parsed value has it: a scalar is 0, `{}` and `[]` are 1. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('JSON nesting depth', () => {
  it('agrees with the parsed value for any JSON, strings full of brackets, quotes and escapes included', () => {
    const text = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', 'é', '😀', 'a', '\n') });
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.constant(null),
        tie('array'),
        tie('object'),
      ),
      array: fc.array(tie('value'), { maxLength: 3 }),
      object: fc.dictionary(text, tie('value'), { maxKeys: 3 }),
    })).value;
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 8 }), fc.boolean(), (value, max, pretty) => {
        const encoded = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(jsonNestsDeeperThan(utf8(encoded), max)).toBe(depthOf(value) > max);
      }),
      { seed: 19_400, numRuns: 2000 },
    );
  });

  it(`allows exactly ${MAX_JSON_DEPTH} levels by default`, () => {
    expect(jsonNestsDeeperThan(utf8(nested(MAX_JSON_DEPTH - 1)))).toBe(false);
    const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH - 1)}{}${'}'.repeat(MAX_JSON_DEPTH - 1)}`;
    expect(jsonNestsDeeperThan(utf8(objects))).toBe(false);
    expect(jsonNestsDeeperThan(utf8(`[${objects}]`))).toBe(true);
    expect(jsonNestsDeeperThan(utf8(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonNestsDeeperThan(utf8(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(jsonNestsDeeperThan(utf8(nested(100_000)))).toBe(true);
  });

  it('does not count what an escaped quote leaves inside a string', () => {
    expect(jsonNestsDeeperThan(utf8(JSON.stringify({ s: `\\"${nested(10)}` })), 2)).toBe(false);
    expect(jsonNestsDeeperThan(utf8(`["\\\\", ${nested(3)}]`), 3)).toBe(true);
  });
});
