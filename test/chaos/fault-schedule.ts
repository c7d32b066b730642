// The chaos run's faults, decided up front from a seed: SIGKILLs of random role processes every
// few seconds until a horizon, plus one Redis FLUSHALL, one Postgres restart and one receiver
// outage, each at a seeded instant inside its window. The same seed gives the same schedule.

export const roleNames = ['api', 'scheduler', 'dialer', 'sinks'] as const;
export type RoleName = (typeof roleNames)[number];

/** Inclusive [min, max] milliseconds. */
export type MsWindow = readonly [number, number];

export interface FaultPlan {
  seed: number;
  /** Processes per role; a kill picks one of them. */
  processes: Readonly<Record<RoleName, number>>;
  /** Gap between kills. */
  killEveryMs: MsWindow;
  /** From the kill to the restart of the killed process. */
  restartAfterMs: MsWindow;
  /** The first kill comes no earlier than this. */
  firstKillMs: number;
  redisFlushAtMs: MsWindow;
  pgRestartAtMs: MsWindow;
  /** How long Postgres stays stopped. */
  pgDownMs: number;
  receiverDownAtMs: MsWindow;
  receiverDownMs: number;
}

export type Fault =
  | { at: number; kind: 'kill'; role: RoleName; index: number; restartAfterMs: number }
  | { at: number; kind: 'redis_flush' }
  | { at: number; kind: 'pg_restart'; downMs: number }
  | { at: number; kind: 'receiver_down'; downMs: number };

export { seededRandom } from '../../src/core/random.js';
import { seededRandom } from '../../src/core/random.js';

function within(random: () => number, [min, max]: MsWindow): number {
  return Math.round(min + random() * Math.max(0, max - min));
}

/** Every fault up to `horizonMs` after the start, in time order (ties keep kills last). */
export function faultSchedule(plan: FaultPlan, horizonMs: number): Fault[] {
  const random = seededRandom(plan.seed);
  const faults: Fault[] = [
    { at: within(random, plan.redisFlushAtMs), kind: 'redis_flush' },
    { at: within(random, plan.pgRestartAtMs), kind: 'pg_restart', downMs: plan.pgDownMs },
    { at: within(random, plan.receiverDownAtMs), kind: 'receiver_down', downMs: plan.receiverDownMs },
  ];
  const targets = roleNames.flatMap((role) =>
    Array.from({ length: Math.max(0, plan.processes[role]) }, (_, index) => ({ role, index })),
  );
  if (targets.length > 0) {
    for (let at = plan.firstKillMs; at <= horizonMs; at += Math.max(1, within(random, plan.killEveryMs))) {
      const target = targets[Math.min(targets.length - 1, Math.floor(random() * targets.length))];
      if (!target) break;
      faults.push({ at, kind: 'kill', role: target.role, index: target.index, restartAfterMs: within(random, plan.restartAfterMs) });
    }
  }
  const rank = (f: Fault): number => (f.kind === 'kill' ? 1 : 0);
  return faults.sort((a, b) => a.at - b.at || rank(a) - rank(b));
}
