import { describe, expect, it } from 'vitest';
import { reuseFor } from './metrics-endpoint.js';

function deferredWork() {
  let runs = 0;
  const releases: ((n: number) => void)[] = [];
  const work = () =>
    new Promise<number>((resolve) => {
      runs++;
      releases.push(resolve);
    });
  return { work, runs: () => runs, release: (n: number) => releases.shift()?.(n) };
}

describe('reuseFor', () => {
  it('reuses a result for the window from when its run started, then runs again', async () => {
    let clock = 0;
    const w = deferredWork();
    const shared = reuseFor(w.work, 1000, () => clock);
    const first = shared();
    clock = 500;
    const second = shared();
    w.release(1);
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    clock = 999;
    expect(await shared()).toBe(1);
    expect(w.runs()).toBe(1);
    clock = 1000;
    const third = shared();
    w.release(2);
    expect(await third).toBe(2);
    expect(w.runs()).toBe(2);
  });

  it('shares a run still in flight however long it takes', async () => {
    let clock = 0;
    const w = deferredWork();
    const shared = reuseFor(w.work, 1000, () => clock);
    const first = shared();
    clock = 60_000;
    const second = shared();
    w.release(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    expect(w.runs()).toBe(1);
  });

  it('does not reuse a failure', async () => {
    let runs = 0;
    const shared = reuseFor(() => (++runs === 1 ? Promise.reject(new Error('db down')) : Promise.resolve(runs)), 60_000, () => 0);
    await expect(shared()).rejects.toThrow('db down');
    expect(await shared()).toBe(2);
  });
});
