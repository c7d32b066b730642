// The two forms of the chaos run. Short: small enough for CI (every fault once, about a minute
// of dialling). Full: 20,000 contacts and the 30 s receiver outage.
import type { FaultPlan, RoleName } from './fault-schedule.js';

export interface ChaosForm {
  name: 'short' | 'full';
  contacts: number;
  /** Each org's limit and its batches' limits (tight on purpose: the sum of batch limits exceeds the org's). */
  orgs: { maxConcurrency: number; batches: number[] }[];
  maxAttempts: number;
  trunkCps: number;
  processes: Record<RoleName, number>;
  faults: Omit<FaultPlan, 'seed' | 'processes'>;
  /** Give up waiting for the contacts and webhooks after this long. */
  deadlineMs: number;
  /** Factor on the Sim's default durations: 0.1 gives rings of 0.1–0.4 s and talks of 0.3–1.5 s. */
  simTimeScale: number;
}

const orgs = [
  { maxConcurrency: 10, batches: [4, 6, 3] },
  { maxConcurrency: 12, batches: [5, 8] },
  { maxConcurrency: 14, batches: [6, 6, 6] },
  { maxConcurrency: 8, batches: [3, 5] },
  { maxConcurrency: 16, batches: [10, 8] },
  { maxConcurrency: 10, batches: [10, 2] },
];

export const shortForm: ChaosForm = {
  name: 'short',
  contacts: 600,
  orgs,
  maxAttempts: 2,
  trunkCps: 200,
  processes: { api: 2, scheduler: 2, dialer: 2, sinks: 2 },
  faults: {
    firstKillMs: 4_000,
    killEveryMs: [3_000, 6_000],
    restartAfterMs: [300, 1_500],
    redisFlushAtMs: [12_000, 20_000],
    pgRestartAtMs: [24_000, 34_000],
    pgDownMs: 3_000,
    receiverDownAtMs: [8_000, 30_000],
    receiverDownMs: 8_000,
  },
  deadlineMs: 10 * 60_000,
  simTimeScale: 0.1,
};

export const fullForm: ChaosForm = {
  name: 'full',
  contacts: 20_000,
  orgs,
  maxAttempts: 2,
  trunkCps: 200,
  processes: { api: 2, scheduler: 2, dialer: 2, sinks: 2 },
  faults: {
    firstKillMs: 5_000,
    killEveryMs: [3_000, 6_000],
    restartAfterMs: [300, 2_000],
    redisFlushAtMs: [40_000, 90_000],
    pgRestartAtMs: [100_000, 160_000],
    pgDownMs: 5_000,
    receiverDownAtMs: [20_000, 200_000],
    receiverDownMs: 30_000,
  },
  deadlineMs: 40 * 60_000,
  simTimeScale: 0.1,
};
