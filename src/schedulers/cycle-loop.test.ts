import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CycleResult } from './admission.js';
import { createCycleLoop } from './cycle-loop.js';

const log = pino({ level: 'silent' });
const result = (r: Partial<CycleResult> = {}): CycleResult => ({
  admitted: 1,
  rescheduled: 0,
  dnc: 0,
  tokenLimited: false,
  leasesReady: true,
  ...r,
});

/** A cycle that waits until released, so a test can kick while it runs. */
function gatedCycles(results: CycleResult[] = []) {
  const runs: number[] = [];
  const gates: (() => void)[] = [];
  return {
    runs,
    release: () => gates.shift()?.(),
    runCycle: async (n: number) => {
      runs.push(n);
      await new Promise<void>((r) => gates.push(r));
      return results[n] ?? result();
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the cycle loop', () => {
  it('runs one cycle at a time; kicks during it share the run and ask for exactly one more', async () => {
    const c = gatedCycles();
    const loop = createCycleLoop({ runCycle: c.runCycle, onLeasesLost: () => undefined, log });
    const first = loop.kick();
    const second = loop.kick();
    const third = loop.kick();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await tick();
    c.release();
    await tick();
    expect(c.runs).toEqual([0, 1]);
    c.release();
    expect(await first).toBe(2);
    await loop.close();
  });

  it('goes round again while claims were spent on window moves or DNC, and tells when the leases are lost', async () => {
    let lost = 0;
    const results = [result({ rescheduled: 3 }), result({ dnc: 1 }), result({ leasesReady: false, admitted: 0 })];
    const loop = createCycleLoop({
      runCycle: (n) => Promise.resolve(results[n] ?? result()),
      onLeasesLost: () => void lost++,
      log,
    });
    expect(await loop.kick()).toBe(2);
    expect(lost).toBe(1);
    await loop.close();
  });

  it('starts nothing once closed, and close waits for the cycle in flight', async () => {
    const c = gatedCycles();
    const loop = createCycleLoop({ runCycle: c.runCycle, onLeasesLost: () => undefined, log });
    const running = loop.kick();
    await tick();
    let closed = false;
    const closing = loop.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    c.release();
    await closing;
    expect(await running).toBe(1);
    expect(await loop.kick()).toBe(0);
    expect(c.runs).toEqual([0]);
  });
});
