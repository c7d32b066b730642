// What happens on a simulated call, decided up front from (seed, attemptId) alone: the same seed
// gives every attempt the same fate whatever order or concurrency the calls run in.
import { createHash } from 'node:crypto';
import { seededRandom } from '../../core/random.js';

export interface SimOdds {
  human: number;
  voicemail: number;
  busy: number;
  no_answer: number;
  rejected: number;
  invalid_number: number;
  failed: number;
}
export type SimFate = keyof SimOdds;

/** Inclusive [min, max] milliseconds. */
export type MsRange = readonly [number, number];

export interface SimDurations {
  /** From INVITE to answer, or to the failure response. */
  ringMs: MsRange;
  /** From answer to the AMD decision. */
  amdMs: MsRange;
  /** A human call after AMD: the message or the conversation. */
  talkMs: MsRange;
  /** Waiting for the beep and leaving a voicemail. */
  voicemailMs: MsRange;
}

export const defaultSimOdds: SimOdds = {
  human: 0.6,
  voicemail: 0.15,
  busy: 0.07,
  no_answer: 0.1,
  rejected: 0.03,
  invalid_number: 0.02,
  failed: 0.03,
};

/**
 * Two-way conversations on a campaign with a transfer: the share the agent hands over, and the
 * share whose transfer the far end declines (603) before the conversation goes on.
 */
export interface SimTransferOdds {
  transferred: number;
  declined: number;
}
export const defaultSimTransferOdds: SimTransferOdds = { transferred: 0.2, declined: 0.05 };
export type SimTransfer = 'none' | 'transferred' | 'declined';

export const defaultSimDurations: SimDurations = {
  ringMs: [1_000, 4_000],
  amdMs: [800, 2_500],
  talkMs: [3_000, 15_000],
  voicemailMs: [3_000, 8_000],
};

/** For benchmarks and fast tests: every step takes no time. */
export const instantSimDurations: SimDurations = {
  ringMs: [0, 0],
  amdMs: [0, 0],
  talkMs: [0, 0],
  voicemailMs: [0, 0],
};

export interface SimScenario {
  fate: SimFate;
  ringMs: number;
  amdMs: number;
  talkMs: number;
  voicemailMs: number;
  /** What a two-way conversation does if its campaign has a transfer (ignored otherwise). */
  transfer: SimTransfer;
}

function pickTransfer(odds: SimTransferOdds, r: number): SimTransfer {
  if (r < odds.transferred) return 'transferred';
  return r < odds.transferred + odds.declined ? 'declined' : 'none';
}

function pickFate(odds: SimOdds, r: number): SimFate {
  const entries = Object.entries(odds) as [SimFate, number][];
  const total = entries.reduce((sum, [, w]) => sum + Math.max(0, w), 0);
  if (total <= 0) return 'human';
  let at = r * total;
  for (const [fate, weight] of entries) {
    at -= Math.max(0, weight);
    if (at < 0) return fate;
  }
  return entries.at(-1)?.[0] ?? 'human';
}

export function simScenario(
  seed: number,
  attemptId: string,
  odds: SimOdds,
  durations: SimDurations,
  transferOdds: SimTransferOdds = defaultSimTransferOdds,
): SimScenario {
  const digest = createHash('sha256').update(`${seed}:${attemptId}`).digest();
  const random = seededRandom(digest.readUInt32LE(0));
  const within = ([min, max]: MsRange): number => Math.round(min + random() * Math.max(0, max - min));
  return {
    fate: pickFate(odds, random()),
    ringMs: within(durations.ringMs),
    amdMs: within(durations.amdMs),
    talkMs: within(durations.talkMs),
    voicemailMs: within(durations.voicemailMs),
    // Drawn last, so the draws above (and every seeded run made before transfers) stay as they were.
    transfer: pickTransfer(transferOdds, random()),
  };
}
