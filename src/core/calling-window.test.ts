import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { scheduleSchema, weekdays, type Schedule } from './campaign.js';
import { isOpen, nextOpen } from './calling-window.js';

const MINUTE = 60_000;
const utc = (iso: string) => new Date(iso);
const schedule = (s: Record<string, unknown>): Schedule => scheduleSchema.parse(s);
/** No legal bound, so a test can place ranges anywhere in the day. */
const unbounded = (weekly: Record<string, [string, string][]>, extra: Record<string, unknown> = {}) =>
  schedule({ weekly, quietHours: null, allowQuietHours: true, ...extra });
const everyDay = (ranges: [string, string][]) => Object.fromEntries(weekdays.map((d) => [d, ranges]));

describe('calling windows on fixed dates', () => {
  it('opens a range that starts inside the New York spring-forward gap at the moment clocks jump', () => {
    const s = unbounded({ sun: [['02:30', '04:00']] });
    // 2024-03-10 02:00 EST → 03:00 EDT, at 07:00Z; 02:30 local never happens.
    expect(nextOpen(['America/New_York'], s, utc('2024-03-10T05:00:00Z'))).toEqual(utc('2024-03-10T07:00:00Z'));
    expect(isOpen(['America/New_York'], s, utc('2024-03-10T06:59:59Z'))).toBe(false);
    expect(isOpen(['America/New_York'], s, utc('2024-03-10T07:59:59Z'))).toBe(true);
    expect(isOpen(['America/New_York'], s, utc('2024-03-10T08:00:00Z'))).toBe(false);
  });

  it('opens a repeated New York hour twice when clocks fall back', () => {
    const s = unbounded({ sun: [['01:30', '02:00']] });
    // 2024-11-03 01:00–02:00 occurs in EDT (05:00Z–06:00Z) and again in EST (06:00Z–07:00Z).
    expect(nextOpen(['America/New_York'], s, utc('2024-11-03T05:00:00Z'))).toEqual(utc('2024-11-03T05:30:00Z'));
    expect(nextOpen(['America/New_York'], s, utc('2024-11-03T06:00:00Z'))).toEqual(utc('2024-11-03T06:30:00Z'));
    expect(isOpen(['America/New_York'], s, utc('2024-11-03T06:15:00Z'))).toBe(false);
  });

  it('follows the default 09:00 opening in New York across the spring change', () => {
    const s = schedule({});
    expect(nextOpen(['America/New_York'], s, utc('2024-03-09T23:00:00Z'))).toEqual(utc('2024-03-11T13:00:00Z'));
    expect(nextOpen(['America/New_York'], s, utc('2024-03-08T01:30:00Z'))).toEqual(utc('2024-03-08T14:00:00Z'));
  });

  it('skips a London range that lies wholly inside the spring-forward gap until the next week', () => {
    const s = unbounded({ sun: [['01:00', '01:30']] });
    // 2024-03-31 01:00 GMT → 02:00 BST: 01:00–01:30 does not exist that day.
    expect(nextOpen(['Europe/London'], s, utc('2024-03-30T12:00:00Z'))).toEqual(utc('2024-04-07T00:00:00Z'));
  });

  it('opens a London range in the repeated hour in both BST and GMT', () => {
    const s = unbounded({ sun: [['01:00', '01:30']] });
    expect(nextOpen(['Europe/London'], s, utc('2024-10-26T12:00:00Z'))).toEqual(utc('2024-10-27T00:00:00Z'));
    expect(nextOpen(['Europe/London'], s, utc('2024-10-27T00:30:00Z'))).toEqual(utc('2024-10-27T01:00:00Z'));
    expect(isOpen(['Europe/London'], s, utc('2024-10-27T01:29:00Z'))).toBe(true);
    expect(isOpen(['Europe/London'], s, utc('2024-10-27T01:30:00Z'))).toBe(false);
  });

  it('handles Lord Howe Island, whose clocks move by 30 minutes', () => {
    const s = unbounded({ sun: [['02:00', '03:00']] });
    // 2024-10-06 02:00 (+10:30) → 02:30 (+11:00) at 2024-10-05T15:30Z.
    expect(nextOpen(['Australia/Lord_Howe'], s, utc('2024-10-05T12:00:00Z'))).toEqual(utc('2024-10-05T15:30:00Z'));
    expect(isOpen(['Australia/Lord_Howe'], s, utc('2024-10-05T15:29:00Z'))).toBe(false);
    expect(isOpen(['Australia/Lord_Howe'], s, utc('2024-10-05T15:59:00Z'))).toBe(true);
    expect(isOpen(['Australia/Lord_Howe'], s, utc('2024-10-05T16:00:00Z'))).toBe(false);
    // 2024-04-07 02:00 (+11:00) → 01:30 (+10:30): 01:30–02:00 occurs twice.
    const back = unbounded({ sun: [['01:45', '02:00']] });
    expect(nextOpen(['Australia/Lord_Howe'], back, utc('2024-04-06T12:00:00Z'))).toEqual(utc('2024-04-06T14:45:00Z'));
    expect(nextOpen(['Australia/Lord_Howe'], back, utc('2024-04-06T15:00:00Z'))).toEqual(utc('2024-04-06T15:15:00Z'));
  });

  it('opens at 09:00 in Kathmandu, which is 03:15 UTC (+05:45)', () => {
    expect(nextOpen(['Asia/Kathmandu'], schedule({}), utc('2024-01-08T00:00:00Z'))).toEqual(utc('2024-01-08T03:15:00Z'));
    expect(isOpen(['Asia/Kathmandu'], schedule({}), utc('2024-01-08T03:14:59Z'))).toBe(false);
  });

  it('keeps Phoenix, which has no DST, on the same UTC hours when the rest of the US changes', () => {
    const s = schedule({});
    expect(nextOpen(['America/Phoenix'], s, utc('2024-03-09T04:00:00Z'))).toEqual(utc('2024-03-09T17:00:00Z'));
    expect(nextOpen(['America/Phoenix'], s, utc('2024-03-10T12:00:00Z'))).toEqual(utc('2024-03-11T16:00:00Z'));
  });

  it('opens a number spanning Eastern and Central time only where both are open', () => {
    const zones = ['America/New_York', 'America/Chicago'];
    const s = schedule({});
    // Monday 2024-06-03: 09:00 CDT = 14:00Z is the later opening, 20:00 EDT = 00:00Z the earlier close.
    expect(nextOpen(zones, s, utc('2024-06-03T12:00:00Z'))).toEqual(utc('2024-06-03T14:00:00Z'));
    expect(isOpen(zones, s, utc('2024-06-03T23:59:00Z'))).toBe(true);
    expect(isOpen(zones, s, utc('2024-06-04T00:00:00Z'))).toBe(false);
  });

  it('intersects London and New York while their DST changes are three weeks apart', () => {
    const zones = ['Europe/London', 'America/New_York'];
    const s = unbounded(everyDay([['09:00', '20:00']]));
    // 2024-03-20: London GMT (09–20Z), New York EDT (13Z–00Z) → 13:00Z–20:00Z.
    expect(nextOpen(zones, s, utc('2024-03-20T00:00:00Z'))).toEqual(utc('2024-03-20T13:00:00Z'));
    expect(isOpen(zones, s, utc('2024-03-20T19:59:00Z'))).toBe(true);
    // 2024-04-03: London BST (08–19Z) → 13:00Z–19:00Z.
    expect(isOpen(zones, s, utc('2024-04-03T19:30:00Z'))).toBe(false);
    expect(nextOpen(zones, s, utc('2024-04-03T19:00:00Z'))).toEqual(utc('2024-04-04T13:00:00Z'));
  });

  it('skips blackout dates in the local calendar', () => {
    const s = schedule({ blackoutDates: ['2024-12-25'] });
    expect(nextOpen(['America/New_York'], s, utc('2024-12-25T15:00:00Z'))).toEqual(utc('2024-12-26T14:00:00Z'));
  });

  it('narrows the weekly schedule to quiet hours', () => {
    const s = schedule({ weekly: { mon: [['07:00', '22:00']] }, quietHours: ['08:00', '21:00'] });
    expect(nextOpen(['UTC'], s, utc('2024-06-03T00:00:00Z'))).toEqual(utc('2024-06-03T08:00:00Z'));
    expect(isOpen(['UTC'], s, utc('2024-06-03T21:00:00Z'))).toBe(false);
  });

  it('treats "24:00" as the end of the day, so a window runs on past midnight', () => {
    const s = unbounded({ mon: [['20:00', '24:00']], tue: [['00:00', '01:00']] });
    for (const t of ['2024-06-03T23:59:59Z', '2024-06-04T00:00:00Z', '2024-06-04T00:59:00Z']) {
      expect(isOpen(['UTC'], s, utc(t))).toBe(true);
    }
    expect(isOpen(['UTC'], s, utc('2024-06-04T01:00:00Z'))).toBe(false);
  });

  it('answers null when the window never opens, and uses the fallback zone when a contact has none', () => {
    expect(nextOpen(['UTC'], unbounded({}), utc('2024-06-03T00:00:00Z'))).toBeNull();
    const s = schedule({ timezoneFallback: 'Asia/Tokyo' });
    expect(nextOpen([], s, utc('2024-06-02T12:00:00Z'))).toEqual(utc('2024-06-03T00:00:00Z'));
  });

  it('returns the instant itself when the window is already open', () => {
    const at = utc('2024-06-03T15:17:23.456Z');
    expect(nextOpen(['America/New_York'], schedule({}), at)).toEqual(at);
  });
});

// ---- properties ---------------------------------------------------------------------------

const zonePool = [
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'America/Phoenix',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Australia/Adelaide',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/Santiago',
  'UTC',
];

const clockAt = (m: number) => (m === 1440 ? '24:00' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const rangeArb = fc
  .tuple(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 1, max: 48 }))
  .map(([start, len]): [string, string] => [clockAt(start * 15), clockAt(Math.min(1440, (start + len) * 15))])
  .filter(([a, b]) => a < b);
const scheduleArb = fc
  .record({
    weekly: fc.dictionary(fc.constantFrom(...weekdays), fc.array(rangeArb, { minLength: 1, maxLength: 3 }), {
      minKeys: 1,
    }),
    quietHours: fc.option(fc.constantFrom<[string, string]>(['08:00', '21:00'], ['06:30', '23:45'], ['00:00', '24:00'])),
    blackoutDates: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 3 }),
  })
  .map(({ weekly, quietHours, blackoutDates }) => ({ weekly, quietHours, blackoutDates }));
// Dates around DST changes in both hemispheres, 2000–2037.
const instantArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 11, 1) }).map((ms) => new Date(ms));

type ScheduleDraft = { weekly: Record<string, [string, string][]>; quietHours: [string, string] | null; blackoutDates: number[] };

/** Blackout dates are drawn as day offsets from the instant under test, so they matter. */
function buildSchedule(x: ScheduleDraft, from: Date): Schedule {
  const blackout = x.blackoutDates.map((d) => new Date(from.getTime() + d * 86_400_000).toISOString().slice(0, 10));
  return unbounded(x.weekly, { quietHours: x.quietHours, blackoutDates: [...new Set(blackout)] });
}

/** An independent reading of the wall clock through Luxon's DateTime, for cross-checking. */
function openByLuxon(zones: string[], s: Schedule, at: Date): boolean {
  return zones.every((zone) => {
    const local = DateTime.fromJSDate(at, { zone });
    if (s.blackoutDates.includes(local.toISODate() ?? '')) return false;
    const day = weekdays[local.weekday - 1] ?? 'mon';
    const m = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
    const toMin = (c: string) => Number(c.slice(0, 2)) * 60 + Number(c.slice(3));
    const quiet = s.quietHours ? [toMin(s.quietHours[0]), toMin(s.quietHours[1])] : [0, 1440];
    return (s.weekly[day] ?? []).some(
      ([a, b]) => Math.max(toMin(a), quiet[0] ?? 0) <= m && m < Math.min(toMin(b), quiet[1] ?? 1440),
    );
  });
}

const params = { seed: 20_241_103, numRuns: 80, verbose: 1 } as const;

describe('calling window properties', () => {
  it('reads the wall clock exactly as Luxon does, in every zone and at any instant', () => {
    fc.assert(
      fc.property(fc.subarray(zonePool, { minLength: 1, maxLength: 3 }), scheduleArb, instantArb, (zones, x, at) => {
        const s = buildSchedule(x, at);
        expect(isOpen(zones, s, at)).toBe(openByLuxon(zones, s, at));
      }),
      { ...params, numRuns: 1000 },
    );
  });

  it('finds an open instant with no open minute before it', () => {
    fc.assert(
      fc.property(fc.subarray(zonePool, { minLength: 1, maxLength: 2 }), scheduleArb, instantArb, (zones, x, from) => {
        const s = buildSchedule(x, from);
        const found = nextOpen(zones, s, from);
        if (found === null) return;
        expect(found.getTime()).toBeGreaterThanOrEqual(from.getTime());
        expect(isOpen(zones, s, found)).toBe(true);
        const firstMinute = Math.ceil(from.getTime() / MINUTE) * MINUTE;
        // Bounded so the check stays fast; the schedules above open within days almost always.
        const until = Math.min(found.getTime(), from.getTime() + 4 * 86_400_000);
        expect(isOpen(zones, s, from) && found.getTime() !== from.getTime()).toBe(false);
        for (let t = firstMinute; t < until; t += MINUTE) {
          if (isOpen(zones, s, new Date(t))) throw new Error(`open earlier at ${new Date(t).toISOString()}`);
        }
      }),
      params,
    );
  });

  it('answers null only for schedules that stay shut at every quarter hour of the horizon', () => {
    fc.assert(
      fc.property(fc.subarray(zonePool, { minLength: 2, maxLength: 3 }), scheduleArb, instantArb, (zones, x, from) => {
        const s = buildSchedule(x, from);
        if (nextOpen(zones, s, from) !== null) return;
        for (let t = from.getTime(); t < from.getTime() + 400 * 86_400_000; t += 15 * MINUTE) {
          expect(isOpen(zones, s, new Date(t))).toBe(false);
        }
      }),
      { ...params, numRuns: 20 },
    );
  });
});
