import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retrySchema, scheduleSchema } from '../core/campaign.js';
import { attemptOutcomes, type AttemptOutcome } from '../core/domain.js';
import { decideRetry, retryDelayMs, type NextOpen, type RetryInput } from './retry-policy.js';

const config = retrySchema.parse({});
const schedule = scheduleSchema.parse({ timezoneFallback: 'UTC' });
const endedAt = new Date('2026-03-02T10:00:00Z');
const min = 60_000;
const alwaysOpen: NextOpen = (_z, _s, from) => from;
/** Open 09:00–17:00 UTC every day: enough to see times pushed into a window. */
const officeHours: NextOpen = (_z, _s, from) => {
  const d = new Date(from);
  const h = d.getUTCHours();
  if (h >= 9 && h < 17) return d;
  if (h >= 17) d.setUTCDate(d.getUTCDate() + 1);
  d.setUTCHours(9, 0, 0, 0);
  return d;
};
const neverOpen: NextOpen = () => null;

function input(outcome: AttemptOutcome, extra: Partial<RetryInput> = {}): RetryInput {
  return { outcome, attempt: 1, config, schedule, zones: ['UTC'], endedAt, previousOutcomes: [], ...extra };
}

const table: [AttemptOutcome, number | null][] = [
  ['busy', 10 * min],
  ['no_answer', 60 * min],
  ['voicemail', 24 * 60 * min],
  ['failed', 5 * min],
  ['completed', null],
  ['transferred', null],
  ['voicemail_left', null],
  ['rejected', null],
  ['invalid_number', null],
  ['dnc', null],
  ['cancelled', null],
];

describe('retry policy with the contract defaults', () => {
  it.each(table)('retries %s after %s ms (null = never)', (outcome, delay) => {
    const d = decideRetry(input(outcome), alwaysOpen);
    if (delay === null) expect(d).toEqual({ kind: 'finish', reason: 'not_retryable' });
    else expect(d).toEqual({ kind: 'retry', at: new Date(endedAt.getTime() + delay), reason: 'delay' });
  });

  it('doubles the failed delay for each consecutive failure of the contact', () => {
    expect(retryDelayMs('failed', config.delays, ['failed'])).toBe(10 * min);
    expect(retryDelayMs('failed', config.delays, ['failed', 'failed'])).toBe(20 * min);
    expect(retryDelayMs('failed', config.delays, ['busy', 'failed'])).toBe(5 * min);
  });

  it('finishes the contact on its last allowed attempt, counting the first call', () => {
    expect(decideRetry(input('busy', { attempt: 2 }), alwaysOpen).kind).toBe('retry');
    expect(decideRetry(input('busy', { attempt: 3 }), alwaysOpen)).toEqual({
      kind: 'finish',
      reason: 'max_attempts',
    });
  });

  it('moves the retry time into the next open window', () => {
    const late = new Date('2026-03-02T16:55:00Z');
    expect(decideRetry(input('busy', { endedAt: late }), officeHours)).toEqual({
      kind: 'retry',
      at: new Date('2026-03-03T09:00:00Z'),
      reason: 'delay',
    });
  });

  it('finishes the contact when no window ever opens again', () => {
    expect(decideRetry(input('busy'), neverOpen)).toEqual({ kind: 'finish', reason: 'no_window' });
  });

  it('honours a callback time inside a window, else the next open time after it', () => {
    const inside = new Date('2026-03-02T14:00:00Z');
    expect(decideRetry(input('completed', { callbackAt: inside }), officeHours)).toEqual({
      kind: 'retry',
      at: inside,
      reason: 'callback',
    });
    const night = new Date('2026-03-02T22:00:00Z');
    expect(decideRetry(input('completed', { callbackAt: night }), officeHours)).toMatchObject({
      at: new Date('2026-03-03T09:00:00Z'),
    });
  });

  it('never calls back a callee who opted out, rejected, or whose number is invalid', () => {
    const cb = new Date('2026-03-02T14:00:00Z');
    expect(decideRetry(input('completed', { callbackAt: cb, optOut: true }), alwaysOpen)).toEqual({
      kind: 'finish',
      reason: 'opt_out',
    });
    expect(decideRetry(input('rejected', { callbackAt: cb }), alwaysOpen).kind).toBe('finish');
    expect(decideRetry(input('invalid_number', { callbackAt: cb }), alwaysOpen).kind).toBe('finish');
  });

  it('never calls a transferred callee again, even when a callback was booked before the hand-over', () => {
    const cb = new Date('2026-03-02T14:00:00Z');
    expect(decideRetry(input('transferred', { callbackAt: cb }), alwaysOpen)).toEqual({
      kind: 'finish',
      reason: 'not_retryable',
    });
  });

  it('uses the campaign delays instead of the defaults when given', () => {
    const custom = retrySchema.parse({ maxAttempts: 5, delays: { busy: '2m' } });
    expect(decideRetry(input('busy', { config: custom, attempt: 4 }), alwaysOpen)).toMatchObject({
      at: new Date(endedAt.getTime() + 2 * min),
    });
  });
});

describe('retry policy (property)', () => {
  const arb = fc.record({
    outcome: fc.constantFrom(...attemptOutcomes),
    attempt: fc.integer({ min: 1, max: 25 }),
    maxAttempts: fc.integer({ min: 1, max: 20 }),
    callbackOffsetMin: fc.option(fc.integer({ min: -600, max: 6000 })),
    optOut: fc.boolean(),
  });

  it('never schedules beyond the cap, before the delay, or outside a window', () => {
    fc.assert(
      fc.property(arb, (a) => {
        const callbackAt =
          a.callbackOffsetMin === null ? null : new Date(endedAt.getTime() + a.callbackOffsetMin * min);
        const cfg = { ...config, maxAttempts: a.maxAttempts };
        const d = decideRetry(
          input(a.outcome, { attempt: a.attempt, config: cfg, callbackAt, optOut: a.optOut }),
          officeHours,
        );
        if (d.kind === 'finish') return;
        expect(a.attempt).toBeLessThan(a.maxAttempts);
        expect(a.optOut).toBe(false);
        expect(officeHours([], schedule, d.at)).toEqual(d.at);
        expect(d.at.getTime()).toBeGreaterThanOrEqual(endedAt.getTime());
        if (d.reason === 'delay') {
          const delay = retryDelayMs(a.outcome, config.delays, []);
          expect(delay).not.toBeNull();
          expect(d.at.getTime()).toBeGreaterThanOrEqual(endedAt.getTime() + (delay ?? 0));
        }
      }),
      { seed: 4242, numRuns: 1000 },
    );
  });
});
