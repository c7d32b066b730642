import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhoneSet } from './phone-set.js';

describe('PhoneSet', () => {
  it('answers like a Set of the same numbers, across growth', () => {
    const e164 = fc.stringMatching(/^\+[1-9]\d{6,14}$/);
    fc.assert(
      fc.property(fc.array(e164, { maxLength: 300 }), fc.array(fc.nat(299), { maxLength: 100 }), (numbers, repeats) => {
        const ours = new PhoneSet();
        const reference = new Set<string>();
        for (const n of [...numbers, ...repeats.map((i) => numbers[i % Math.max(1, numbers.length)] ?? '+1234567')]) {
          expect(ours.add(n)).toBe(!reference.has(n));
          reference.add(n);
        }
        expect(ours.size).toBe(reference.size);
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('holds a hundred thousand numbers that differ only in their last digits', () => {
    const set = new PhoneSet();
    for (let i = 0; i < 100_000; i++) expect(set.add(`+1212${String(2_000_000 + i)}`)).toBe(true);
    expect(set.add('+12122000000')).toBe(false);
    expect(set.add('+999999999999999')).toBe(true);
    expect(set.size).toBe(100_001);
  });
});
