// The batch preview as a pure summary: given contacts grouped by zone set, tz source and status
// (repos/batches.ts zoneGroups), the campaign schedule and an instant, how many are callable
// now, waiting for their window, or suppressed (DNC at import or listed since), per tz source
// too, so numbers that fell back to the campaign zone (toll-free, non-geographic) stand out.
import type { Schedule } from '../core/campaign.js';
import { isOpen, nextOpen } from '../core/calling-window.js';
import type { TzSource } from '../core/db/schema.js';
import type { ZoneGroup } from './repos/batches.js';

export const tzSources = [
  'explicit',
  'number',
  'fallback',
  'country_fallback',
] as const satisfies readonly TzSource[];

interface Tally {
  contacts: number;
  callableNow: number;
  waitingForWindow: number;
  suppressed: number;
}

export interface ZoneSetPreview {
  timezones: string[];
  tzSource: TzSource;
  contacts: number;
  openNow: boolean;
  nextOpenAt: string | null;
}

export interface BatchPreview extends Tally {
  at: string;
  /** Contacts already called or stopped: in progress, finished or cancelled. */
  other: number;
  byTzSource: Record<TzSource, Tally>;
  /** The largest zone sets among contacts still to call, at most `maxZoneSets`. */
  zoneSets: ZoneSetPreview[];
}

const emptyTally = (): Tally => ({ contacts: 0, callableNow: 0, waitingForWindow: 0, suppressed: 0 });

type Bucket = 'callableNow' | 'waitingForWindow' | 'suppressed' | 'other';

function bucketOf(g: ZoneGroup, open: boolean): Bucket {
  if (g.status === 'suppressed' || (g.status === 'pending' && g.onDnc)) return 'suppressed';
  if (g.status !== 'pending') return 'other';
  return open ? 'callableNow' : 'waitingForWindow';
}

export function previewBatch(
  groups: readonly ZoneGroup[],
  schedule: Schedule,
  at: Date,
  maxZoneSets = 50,
): BatchPreview {
  const openCache = new Map<string, boolean>();
  const openFor = (zones: string[]): boolean => {
    const key = zones.join(',');
    let open = openCache.get(key);
    if (open === undefined) openCache.set(key, (open = isOpen(zones, schedule, at)));
    return open;
  };
  const total = emptyTally();
  const byTzSource = Object.fromEntries(tzSources.map((s) => [s, emptyTally()])) as Record<TzSource, Tally>;
  let other = 0;
  const toCall = new Map<string, ZoneSetPreview>();
  for (const g of groups) {
    const open = openFor(g.timezones);
    const bucket = bucketOf(g, open);
    if (bucket === 'other') {
      other += g.contacts;
      continue;
    }
    for (const t of [total, byTzSource[g.tzSource]]) {
      t.contacts += g.contacts;
      t[bucket] += g.contacts;
    }
    if (bucket === 'suppressed') continue;
    const key = `${g.tzSource}|${g.timezones.join(',')}`;
    const set = toCall.get(key) ?? {
      timezones: g.timezones,
      tzSource: g.tzSource,
      contacts: 0,
      openNow: open,
      nextOpenAt: null,
    };
    set.contacts += g.contacts;
    toCall.set(key, set);
  }
  const zoneSets = [...toCall.values()].sort((a, b) => b.contacts - a.contacts).slice(0, maxZoneSets);
  for (const z of zoneSets)
    z.nextOpenAt = z.openNow
      ? at.toISOString()
      : (nextOpen(z.timezones, schedule, at)?.toISOString() ?? null);
  return { at: at.toISOString(), ...total, other, byTzSource, zoneSets };
}
