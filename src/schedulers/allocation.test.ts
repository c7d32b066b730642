import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocateSlots, fitToTokens, rotate, type BatchDemand } from './allocation.js';

const batch = (batchId: string, orgId: string, batchLimit: number, batchActive = 0, due = 1000): BatchDemand => ({
  batchId,
  orgId,
  trunkId: 'default',
  batchLimit,
  batchActive,
  due,
});

describe('slot allocation', () => {
  it('shares a scarce org limit evenly between its batches instead of filling the first', () => {
    const slots = allocateSlots({
      batches: [batch('a', 'o', 40), batch('b', 'o', 40), batch('c', 'o', 40)],
      orgs: new Map([['o', { limit: 10, active: 1 }]]),
      system: { limit: 1000, active: 0 },
    });
    expect([...slots.values()]).toEqual([3, 3, 3]);
  });

  it('gives a batch no more than its own free slots or its due contacts, passing the rest on', () => {
    const slots = allocateSlots({
      batches: [batch('a', 'o', 5, 4), batch('b', 'o', 40, 0, 2), batch('c', 'o', 40)],
      orgs: new Map([['o', { limit: 20, active: 4 }]]),
      system: { limit: 1000, active: 0 },
    });
    expect(Object.fromEntries(slots)).toEqual({ a: 1, b: 2, c: 13 });
  });

  it('admits nothing when a limit was lowered below what is active', () => {
    const slots = allocateSlots({
      batches: [batch('a', 'o', 5, 8)],
      orgs: new Map([['o', { limit: 3, active: 8 }]]),
      system: { limit: 1000, active: 8 },
    });
    expect(slots.get('a')).toBe(0);
  });

  it('trims to the trunk tokens round-robin', () => {
    const bs = [batch('a', 'o', 40), batch('b', 'o', 40)];
    const trimmed = fitToTokens(bs, new Map([['a', 10], ['b', 2]]), new Map([['default', 5]]));
    expect(Object.fromEntries(trimmed)).toEqual({ a: 3, b: 2 });
  });

  it('never exceeds any limit and leaves no usable slot idle', () => {
    const arb = fc.record({
      batches: fc.array(
        fc.record({
          org: fc.integer({ min: 0, max: 3 }),
          limit: fc.integer({ min: 1, max: 40 }),
          active: fc.integer({ min: 0, max: 45 }),
          due: fc.integer({ min: 0, max: 60 }),
        }),
        { maxLength: 12 },
      ),
      orgs: fc.array(fc.record({ limit: fc.integer({ min: 1, max: 200 }), active: fc.integer({ min: 0, max: 210 }) }), {
        minLength: 4,
        maxLength: 4,
      }),
      system: fc.record({ limit: fc.integer({ min: 1, max: 300 }), active: fc.integer({ min: 0, max: 310 }) }),
    });
    fc.assert(
      fc.property(arb, ({ batches, orgs, system }) => {
        const bs = batches.map((b, i) => batch(`b${i}`, `o${b.org}`, b.limit, b.active, b.due));
        const orgMap = new Map(orgs.map((o, i) => [`o${i}`, o]));
        const slots = allocateSlots({ batches: bs, orgs: orgMap, system });
        const total = [...slots.values()].reduce((a, b) => a + b, 0);
        expect(total).toBeLessThanOrEqual(Math.max(0, system.limit - system.active));
        for (const [orgId, o] of orgMap) {
          const used = bs.filter((b) => b.orgId === orgId).reduce((a, b) => a + (slots.get(b.batchId) ?? 0), 0);
          expect(used).toBeLessThanOrEqual(Math.max(0, o.limit - o.active));
        }
        for (const b of bs) {
          const got = slots.get(b.batchId) ?? 0;
          expect(got).toBeLessThanOrEqual(Math.min(b.due, Math.max(0, b.batchLimit - b.batchActive)));
          // Work-conserving: a batch short of its want was stopped by a full org or system pool.
          if (got < Math.min(b.due, Math.max(0, b.batchLimit - b.batchActive))) {
            const o = orgMap.get(b.orgId);
            const orgUsed = bs.filter((x) => x.orgId === b.orgId).reduce((a, x) => a + (slots.get(x.batchId) ?? 0), 0);
            const orgFull = orgUsed >= Math.max(0, (o?.limit ?? 0) - (o?.active ?? 0));
            expect(orgFull || total >= Math.max(0, system.limit - system.active)).toBe(true);
          }
        }
      }),
      { seed: 424_242, numRuns: 500, verbose: 1 },
    );
  });

  it('rotates the starting batch each cycle', () => {
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(rotate([], 3)).toEqual([]);
  });
});
