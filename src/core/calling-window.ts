// Calling windows: when a contact may be called. A window is the campaign's weekly local schedule
// ∩ the quiet-hours bound − blackout dates, evaluated on each zone's wall clock; with several
// zones a call is allowed only where every zone is open. Pure: no I/O, no clock reads.
//
// Model: in one zone, open time is a union of instant intervals. Between two UTC-offset changes
// the wall clock is `instant + offset`, so each local day's open wall-clock ranges map linearly to
// instants; cutting at the exact offset changes makes DST gaps (skipped wall times never occur)
// and overlaps (repeated wall times occur twice) fall out without special cases.
import { IANAZone } from 'luxon';
import type { Schedule, TimeRange, Weekday } from './campaign.js';

/** nextOpen looks this far ahead before answering "never" (null). */
export const NEXT_OPEN_HORIZON_DAYS = 400;

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Offsets are sampled this often to find changes; no zone changes offset twice within it. */
const OFFSET_PROBE_MS = 6 * 3_600_000;
/** Timelines are built a chunk at a time, as far as a search needs: 2 days first, doubling to 32. */
const FIRST_CHUNK_MS = 2 * DAY;
const MAX_CHUNK_MS = 32 * DAY;
/** Date#getUTCDay order (0 = Sunday). */
const dayNames: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

type Span = readonly [start: number, end: number];

interface CompiledSchedule {
  /** Open wall-clock minute ranges per getUTCDay() index, sorted and merged, quiet hours applied. */
  byDay: readonly (readonly Span[])[];
  blackout: ReadonlySet<string>;
  fallbackZone: string;
}

const compiledCache = new WeakMap<Schedule, CompiledSchedule>();

function minutes(clock: string): number {
  const [h, m] = clock.split(':');
  return Number(h) * 60 + Number(m);
}

function mergeSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function compile(schedule: Schedule): CompiledSchedule {
  const cached = compiledCache.get(schedule);
  if (cached) return cached;
  const quiet = schedule.quietHours ? [minutes(schedule.quietHours[0]), minutes(schedule.quietHours[1])] : [0, 1440];
  const byDay = dayNames.map((day) => {
    const ranges: readonly TimeRange[] = schedule.weekly[day] ?? [];
    const clipped = ranges
      .map(([a, b]): Span => [Math.max(minutes(a), quiet[0] ?? 0), Math.min(minutes(b), quiet[1] ?? 1440)])
      .filter(([s, e]) => s < e);
    return mergeSpans(clipped);
  });
  const compiled = { byDay, blackout: new Set(schedule.blackoutDates), fallbackZone: schedule.timezoneFallback };
  compiledCache.set(schedule, compiled);
  return compiled;
}

function zoneOf(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new RangeError(`unknown IANA time zone: ${name}`);
  return zone;
}

/** The zones a window is evaluated in: the contact's, or the campaign's fallback when it has none. */
function zonesFor(zones: readonly string[], c: CompiledSchedule): IANAZone[] {
  return (zones.length > 0 ? zones : [c.fallbackZone]).map(zoneOf);
}

/** Open wall-clock ranges (ms since local midnight) of the local day starting at wall time `dayStart`. */
function openRangesOfDay(c: CompiledSchedule, dayStart: number): readonly Span[] {
  const date = new Date(dayStart);
  if (c.blackout.size > 0 && c.blackout.has(date.toISOString().slice(0, 10))) return [];
  return c.byDay[date.getUTCDay()] ?? [];
}

function isOpenInZone(zone: IANAZone, c: CompiledSchedule, at: number): boolean {
  const wall = at + zone.offset(at) * MINUTE;
  const dayStart = Math.floor(wall / DAY) * DAY;
  const minuteOfDay = (wall - dayStart) / MINUTE;
  return openRangesOfDay(c, dayStart).some(([s, e]) => s <= minuteOfDay && minuteOfDay < e);
}

/** True when the window is open at `at` in every zone (the fallback zone when `zones` is empty). */
export function isOpen(zones: readonly string[], schedule: Schedule, at: Date): boolean {
  const c = compile(schedule);
  const t = at.getTime();
  return zonesFor(zones, c).every((zone) => isOpenInZone(zone, c, t));
}

/** Splits [from, to) into pieces of constant UTC offset, finding each change to the millisecond. */
function constantOffsetPieces(zone: IANAZone, from: number, to: number): { start: number; end: number; offset: number }[] {
  const pieces = [];
  let start = from;
  let offset = zone.offset(from);
  let probe = from;
  while (probe < to) {
    const next = Math.min(probe + OFFSET_PROBE_MS, to);
    if (zone.offset(next) === offset) {
      probe = next;
      continue;
    }
    // Invariant: offset(lo) === offset, offset(hi) !== offset; hi ends as the first changed millisecond.
    let lo = probe;
    let hi = next;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (zone.offset(mid) === offset) lo = mid;
      else hi = mid;
    }
    pieces.push({ start, end: hi, offset });
    start = hi;
    offset = zone.offset(hi);
    probe = hi;
  }
  pieces.push({ start, end: to, offset });
  return pieces.filter((p) => p.start < p.end);
}

/** Open instant intervals of one zone, built lazily a chunk at a time. */
class ZoneTimeline {
  private readonly spans: [number, number][] = [];
  private builtUntil: number;
  private cursor = 0;
  private chunk = FIRST_CHUNK_MS;

  constructor(
    private readonly zone: IANAZone,
    private readonly c: CompiledSchedule,
    from: number,
  ) {
    this.builtUntil = from;
  }

  private build(until: number): void {
    const from = this.builtUntil;
    for (const { start, end, offset } of constantOffsetPieces(this.zone, from, until)) {
      const shift = offset * MINUTE;
      for (let day = Math.floor((start + shift) / DAY) * DAY; day < end + shift; day += DAY) {
        for (const [s, e] of openRangesOfDay(this.c, day)) {
          const a = Math.max(day + s * MINUTE - shift, start);
          const b = Math.min(day + e * MINUTE - shift, end);
          if (a < b) this.push(a, b);
        }
      }
    }
    this.builtUntil = until;
  }

  private push(a: number, b: number): void {
    const last = this.spans.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else this.spans.push([a, b]);
  }

  /** The earliest open instant ≥ t, or null if none before `limit`. Calls must not go back in time. */
  nextOpen(t: number, limit: number): number | null {
    for (;;) {
      while (this.cursor < this.spans.length) {
        const span = this.spans[this.cursor] as [number, number];
        if (span[1] > t) return Math.max(span[0], t);
        this.cursor += 1;
      }
      if (this.builtUntil >= limit) return null;
      // Spans before t are never asked for again (calls only move forward), so skip building them.
      if (t > this.builtUntil) this.builtUntil = Math.min(t, limit);
      this.build(Math.min(this.builtUntil + this.chunk, limit));
      this.chunk = Math.min(this.chunk * 2, MAX_CHUNK_MS);
    }
  }
}

/**
 * The earliest instant ≥ `from` at which the window is open in every zone, or null when it does
 * not open within NEXT_OPEN_HORIZON_DAYS (for example an empty weekly schedule).
 */
export function nextOpen(zones: readonly string[], schedule: Schedule, from: Date): Date | null {
  const c = compile(schedule);
  const start = from.getTime();
  const limit = start + NEXT_OPEN_HORIZON_DAYS * DAY;
  const timelines = zonesFor(zones, c).map((zone) => new ZoneTimeline(zone, c, start));
  // Leapfrog: jump to the latest of the zones' next openings until they all agree.
  for (let t = start; t < limit; ) {
    let latest = t;
    for (const timeline of timelines) {
      const next = timeline.nextOpen(t, limit);
      if (next === null) return null;
      latest = Math.max(latest, next);
    }
    if (latest === t) return new Date(t);
    t = latest;
  }
  return null;
}
