import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UploadPace, type PaceLimits } from './upload-pace.js';

/** Feeds `bytes` every `gapMs` for `arrivals` times, checking at every tick; returns the first verdict and when. */
function simulate(limits: PaceLimits, gapMs: number, bytes: number, arrivals: number) {
  const pace = new UploadPace(limits, 0);
  const tick = pace.tickMs();
  let nextArrival = gapMs;
  let arrived = 0;
  for (let now = tick; arrived < arrivals; now += tick) {
    while (arrived < arrivals && nextArrival <= now) {
      pace.received(bytes, nextArrival);
      arrived++;
      nextArrival += gapMs;
    }
    const verdict = pace.check(now);
    if (verdict) return { verdict, at: now };
  }
  return null;
}

describe('UploadPace', () => {
  it('cuts off an upload once no byte has come for the idle timeout, and not before', () => {
    const limits = { idleMs: 1000, minBytesPerSecond: 0, windowMs: 1000 };
    const pace = new UploadPace(limits, 0);
    pace.received(10, 400);
    expect(pace.check(1399)).toBeNull();
    expect(pace.check(1400)).toEqual({ kind: 'idle', idleMs: 1000 });
    expect(new UploadPace(limits, 0).check(1000)).toEqual({ kind: 'idle', idleMs: 1000 });
  });

  it('never cuts off an upload whose gaps stay under the idle timeout when there is no rate floor', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 5000 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (idleMs, gapShare, arrivals) => {
          const gap = Math.max(1, Math.floor(idleMs * gapShare));
          expect(simulate({ idleMs, minBytesPerSecond: 0, windowMs: idleMs }, gap, 1, arrivals)).toBeNull();
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });

  it('keeps an upload at twice the minimum rate and cuts off one at half of it within the first window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 1000 }),
        (windowMs, tenths, bytes) => {
          const gapMs = Math.max(1, Math.floor((windowMs * tenths) / 100));
          const rate = (bytes * 1000) / gapMs;
          const limits = (min: number) => ({ idleMs: 10 * windowMs, minBytesPerSecond: min, windowMs });
          const arrivals = Math.ceil((5 * windowMs) / gapMs);
          expect(simulate(limits(Math.floor(rate / 2)), gapMs, bytes, arrivals)).toBeNull();
          const slow = simulate(limits(Math.ceil(rate * 2) + 1), gapMs, bytes, arrivals);
          expect(slow?.verdict.kind).toBe('slow');
          expect(slow!.at).toBeLessThan(windowMs + 2 * new UploadPace(limits(1), 0).tickMs());
        },
      ),
      { seed: 77, numRuns: 300 },
    );
  });

  it('forgives a slow start until the first window has passed', () => {
    const pace = new UploadPace({ idleMs: 10_000, minBytesPerSecond: 1000, windowMs: 5000 }, 0);
    pace.received(1, 100);
    expect(pace.check(4999)).toBeNull();
    expect(pace.check(5000)).toMatchObject({ kind: 'slow', bytes: 1 });
  });
});
