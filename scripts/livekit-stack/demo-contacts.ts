// The contacts of `outdial demo --telephony livekit`: every number reaches one of the sipp
// switchboard's phones (test/livekit/support/switchboard.ts), so each call really rings, answers,
// talks, leaves a voicemail or is refused. The demo's own generator (src/demo/contacts.ts) picks
// the time zones and names; only the numbers are replaced. A behaviour called more than once in a
// run gets more numbers (the switchboard's extraNumbers), all distinct, so the two batches and
// the agent's opt-outs (DNC) never touch each other's contacts.
import type { Schedule } from '../../src/core/campaign.js';
import { generateContactsCsv } from '../../src/demo/contacts.js';
import { PHONES, type PhoneName } from '../../test/livekit/support/switchboard.js';

/** The demo's DNC entry (src/demo/demo.ts): one row of each batch dials it, and is suppressed. */
const DEMO_DNC_NUMBER = '+12125550199';

/**
 * What each batch dials, repeated to the contact count: a one-way reminder meets people,
 * voicemail boxes and every kind of refusal; the two-way calls mostly reach someone who talks.
 */
export const DEMO_MIX: readonly (readonly PhoneName[])[] = [
  ['human', 'voicemail', 'busy', 'decline', 'hangup', 'not_found', 'no_answer', 'unavailable', 'human', 'voicemail', 'talker', 'human'],
  ['talker', 'human', 'voicemail', 'busy', 'decline', 'talker', 'no_answer', 'not_found', 'hangup', 'talker', 'unavailable', 'human'],
];

/** Area codes for a behaviour's further numbers: +1 <area> 555-01xx, valid for libphonenumber. */
const ALIAS_AREAS = [303, 312, 415, 512, 617, 646, 702, 713, 206, 305, 404, 503, 602, 718, 720, 801, 816, 919, 469, 310, 213, 214, 215, 313, 201, 904, 971, 808, 907, 917];

/** Most contacts per batch: the most-called phone (human, 5 in 12 contacts) then uses every area above. */
export const MAX_DEMO_CONTACTS = 60;

export interface DemoDialPlan {
  /** Per batch, the number of each contact and the phone it reaches. */
  batches: { phone: PhoneName; number: string }[][];
  /** What the switchboard must answer besides PHONES. */
  extraNumbers: Partial<Record<PhoneName, string[]>>;
}

/** `perBatch` numbers for each batch; a phone's first number is its PHONES entry. */
export function demoDialPlan(perBatch: number): DemoDialPlan {
  if (!Number.isInteger(perBatch) || perBatch < 1 || perBatch > MAX_DEMO_CONTACTS) {
    throw new RangeError(`the LiveKit demo takes 1 to ${MAX_DEMO_CONTACTS} contacts per batch, not ${perBatch}`);
  }
  const used = new Map<PhoneName, number>();
  const extraNumbers: Partial<Record<PhoneName, string[]>> = {};
  const batches = DEMO_MIX.map((mix) =>
    Array.from({ length: perBatch }, (_, i) => {
      const phone = mix[i % mix.length]!;
      const copy = used.get(phone) ?? 0;
      used.set(phone, copy + 1);
      if (copy === 0) return { phone, number: PHONES[phone] };
      const area = ALIAS_AREAS[copy - 1];
      if (area === undefined) throw new RangeError(`no number left for another ${phone} phone`);
      const number = `+1${area}555${PHONES[phone].slice(-4)}`;
      (extraNumbers[phone] ??= []).push(number);
      return { phone, number };
    }),
  );
  return { batches, extraNumbers };
}

/**
 * Batch `batchIndex`'s CSV: its planned numbers in zones whose window is open at `at`, then what
 * an import meets in real files: one contact whose window is closed (it waits), the demo's DNC
 * number (suppressed), the first number again in another format (a duplicate), and a number too
 * short to dial (rejected).
 */
export function demoContactsCsv(plan: DemoDialPlan, batchIndex: number, schedule: Schedule, at: Date, seed: number): string {
  const numbers = plan.batches[batchIndex];
  if (!numbers) throw new RangeError(`no batch ${batchIndex} in the dial plan`);
  const open = generateContactsCsv(numbers.length + 2, schedule, at, { seed: seed + batchIndex, closedShare: 0 }).csv.trim().split('\n');
  const closed = generateContactsCsv(1, schedule, at, { seed: seed + batchIndex, closedShare: 1 }).csv.trim().split('\n');
  const [header, ...rows] = open;
  const withNumber = (row: string | undefined, number: string) => [number, ...(row ?? '').split(',').slice(1)].join(',');
  const first = numbers[0]!.number;
  const lines = [
    header,
    ...numbers.map((n, i) => withNumber(rows[i], n.number)),
    withNumber(closed[1], `+1${ALIAS_AREAS.at(-1)}5550150`),
    withNumber(rows[numbers.length], DEMO_DNC_NUMBER),
    withNumber(rows[numbers.length + 1], `(${first.slice(2, 5)}) ${first.slice(5, 8)}-${first.slice(8)}`),
    withNumber(rows[0], '+1 202 555 01'),
  ];
  return `${lines.join('\n')}\n`;
}
