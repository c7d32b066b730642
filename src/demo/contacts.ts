// Contacts for `outdial demo --contacts N`: US-formatted numbers with an explicit time zone each,
// most in zones where the campaign's window is open right now (so the run has work to show at
// any hour of any day) and a few where it is closed (they wait for their window).
import { isOpen } from '../core/calling-window.js';
import type { Schedule } from '../core/campaign.js';
import { seededRandom } from '../core/random.js';

const candidateZones = Intl.supportedValuesOf('timeZone').filter((z) => /^(America|Europe|Asia|Australia|Pacific|Africa)\//.test(z));

export function zonesByWindow(schedule: Schedule, at: Date): { open: string[]; closed: string[] } {
  const open: string[] = [];
  const closed: string[] = [];
  for (const z of candidateZones) (isOpen([z], schedule, at) ? open : closed).push(z);
  return { open, closed };
}

// Assigned US area codes, so every generated number is valid for libphonenumber.
const areaCodes = [201, 202, 206, 212, 213, 214, 215, 303, 305, 310, 312, 313, 404, 415, 469, 503, 512, 602, 617, 646, 702, 713, 718, 720, 801, 808, 816, 904, 907, 917, 919, 971];

const firstNames = ['Ana', 'Ben', 'Chloe', 'Dev', 'Eve', 'Frank', 'Grace', 'Hiro', 'Ines', 'Jai', 'Karla', 'Lena'];
const stores = ['Main St Pharmacy', 'Mission Pharmacy', 'Loop Pharmacy', 'Harbour Pharmacy'];
const doctors = ['Dr. Patel', 'Dr. Kim', 'Dr. Okafor', 'Dr. Evans'];

/**
 * A CSV of n contacts: valid US numbers made unique by index, an explicit
 * `timezone` column; `closedShare` of them in zones whose window is closed at `at`.
 */
export function generateContactsCsv(
  n: number,
  schedule: Schedule,
  at: Date,
  opts: { seed?: number; closedShare?: number } = {},
): { csv: string; openZones: number } {
  const rand = seededRandom(opts.seed ?? 1);
  const { open, closed } = zonesByWindow(schedule, at);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const openSet = open.length > 0 ? open.slice(0, 6) : closed.slice(0, 1);
  const lines = ['phone,timezone,name,first_name,store,doctor'];
  for (let i = 0; i < n; i++) {
    const inClosed = closed.length > 0 && rand() < (opts.closedShare ?? 0.1);
    const zone = inClosed ? pick(closed) : pick(openSet);
    const area = areaCodes[i % areaCodes.length]!;
    const phone = `+1${area}${2_000_000 + Math.floor(i / areaCodes.length)}`;
    const first = pick(firstNames);
    lines.push([phone, zone, `${first} Demo${i}`, first, pick(stores), pick(doctors)].join(','));
  }
  return { csv: `${lines.join('\n')}\n`, openZones: open.length };
}
