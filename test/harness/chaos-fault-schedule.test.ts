import { describe, expect, it } from 'vitest';
import { faultSchedule, type FaultPlan } from '../chaos/fault-schedule.js';

const plan: FaultPlan = {
  seed: 42,
  processes: { api: 2, scheduler: 2, dialer: 2, sinks: 2 },
  killEveryMs: [2_000, 5_000],
  restartAfterMs: [200, 1_500],
  firstKillMs: 3_000,
  redisFlushAtMs: [10_000, 20_000],
  pgRestartAtMs: [25_000, 35_000],
  pgDownMs: 3_000,
  receiverDownAtMs: [12_000, 30_000],
  receiverDownMs: 8_000,
};

describe('faultSchedule', () => {
  it('gives the same schedule for the same seed and another for another seed', () => {
    expect(faultSchedule(plan, 60_000)).toEqual(faultSchedule(plan, 60_000));
    expect(faultSchedule({ ...plan, seed: 43 }, 60_000)).not.toEqual(faultSchedule(plan, 60_000));
  });

  it('schedules each one-off fault exactly once inside its window', () => {
    const faults = faultSchedule(plan, 60_000);
    const one = (kind: string) => faults.filter((f) => f.kind === kind);
    expect(one('redis_flush')).toHaveLength(1);
    expect(one('pg_restart')).toHaveLength(1);
    expect(one('receiver_down')).toHaveLength(1);
    expect(one('redis_flush')[0]?.at).toBeGreaterThanOrEqual(10_000);
    expect(one('redis_flush')[0]?.at).toBeLessThanOrEqual(20_000);
    expect(one('pg_restart')[0]).toMatchObject({ downMs: 3_000 });
  });

  it('kills every few seconds from the first kill to the horizon, only existing processes, in time order', () => {
    const faults = faultSchedule(plan, 60_000);
    const kills = faults.flatMap((f) => (f.kind === 'kill' ? [f] : []));
    expect(kills[0]?.at).toBe(3_000);
    for (let i = 1; i < kills.length; i++) {
      const gap = (kills[i]?.at ?? 0) - (kills[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(2_000);
      expect(gap).toBeLessThanOrEqual(5_000);
    }
    expect(kills.every((k) => k.index >= 0 && k.index < 2 && k.at <= 60_000)).toBe(true);
    expect(new Set(kills.map((k) => k.role)).size).toBe(4);
    expect(faults.map((f) => f.at)).toEqual([...faults.map((f) => f.at)].sort((a, b) => a - b));
  });

  it('never kills a role that has no process', () => {
    const faults = faultSchedule({ ...plan, processes: { api: 0, scheduler: 1, dialer: 0, sinks: 0 } }, 30_000);
    expect(faults.filter((f) => f.kind === 'kill').every((f) => f.kind === 'kill' && f.role === 'scheduler' && f.index === 0)).toBe(true);
  });
});
