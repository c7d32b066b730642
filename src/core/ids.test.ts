import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derivedId, stuckEventId, unclaimableEventId } from './ids.js';
import { batchCompletedEventId } from './sql/batches/complete.js';

const uuidV5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('derivedId', () => {
  it('is a version-5 uuid, the same for the same name and different for different names', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(derivedId(a)).toMatch(uuidV5);
        expect(derivedId(a)).toBe(derivedId(a));
        if (a !== b) expect(derivedId(a)).not.toBe(derivedId(b));
      }),
      { seed: 14, numRuns: 500 },
    );
  });

  it('gives each derived event of one aggregate its own id', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        const ids = [stuckEventId(id), unclaimableEventId(id), batchCompletedEventId(id)];
        expect(new Set(ids).size).toBe(3);
      }),
      { seed: 14 },
    );
  });
});
