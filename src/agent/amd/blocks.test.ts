import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReblocker } from './blocks.js';

describe('the re-blocker', () => {
  it('hands out the samples in order, in whole blocks, whatever the frame sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 30 }), (blockLen, sizes) => {
        const r = createReblocker(blockLen);
        const out: number[] = [];
        let next = 0;
        for (const size of sizes) {
          const frame = Int16Array.from({ length: size }, () => next++);
          r.push(frame, (b) => {
            expect(b).toHaveLength(blockLen);
            out.push(...b);
            return false;
          });
        }
        const whole = Math.floor(next / blockLen) * blockLen;
        expect(out).toEqual(Array.from({ length: whole }, (_, i) => i));
      }),
      { seed: 20261130 },
    );
  });

  it('stops at the block that says so', () => {
    const r = createReblocker(2);
    const seen: number[][] = [];
    r.push(Int16Array.from([1, 2, 3, 4, 5, 6]), (b) => {
      seen.push([...b]);
      return seen.length === 2;
    });
    expect(seen).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
