import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitViolations, sweepGroup } from '../chaos/limit-sweep.js';

describe('sweepGroup', () => {
  it('counts no violation when calls touch end to start at the limit', () => {
    const peak = sweepGroup('org', [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 5, end: 15 },
    ], 2);
    expect(peak).toMatchObject({ peak: 2, violations: 0 });
  });

  it('counts each call that starts with the group already at its limit', () => {
    const peak = sweepGroup('org', [
      { start: 0, end: 100 },
      { start: 1, end: 100 },
      { start: 2, end: 3 },
      { start: 4, end: 5 },
    ], 1);
    expect(peak).toMatchObject({ peak: 3, at: 2, violations: 3 });
  });

  it('ignores empty and inverted intervals', () => {
    expect(sweepGroup('b', [{ start: 5, end: 5 }, { start: 9, end: 2 }], 0)).toMatchObject({ peak: 0, violations: 0 });
  });

  it('agrees with counting live calls at every start instant', () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 50 }))
      .map(([start, len]) => ({ start, end: start + len }));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 40 }), fc.integer({ min: 0, max: 6 }), (ivs, limit) => {
        let peak = 0;
        for (const { start } of ivs) {
          const live = ivs.filter((o) => o.start <= start && o.end > start).length;
          peak = Math.max(peak, live);
        }
        const got = sweepGroup('g', ivs, limit);
        expect(got.peak).toBe(peak);
        expect(got.violations > 0).toBe(peak > limit);
      }),
      { seed: 9, verbose: true },
    );
  });
});

describe('limitViolations', () => {
  it('checks every group against its own limit and lists only the groups over it', () => {
    const report = limitViolations(
      [
        { group: 'a', start: 0, end: 10 },
        { group: 'a', start: 1, end: 10 },
        { group: 'b', start: 0, end: 10 },
        { group: 'b', start: 1, end: 10 },
      ],
      (g) => (g === 'a' ? 1 : 2),
    );
    expect(report.violations).toBe(1);
    expect(report.over.map((o) => o.group)).toEqual(['a']);
  });

  it('treats a group with no known limit as limit 0', () => {
    expect(limitViolations([{ group: 'x', start: 0, end: 1 }], () => undefined).violations).toBe(1);
  });
});
