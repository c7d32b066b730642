import { describe, expect, it } from 'vitest';
import { createGroupRunner, createWriteBatcher } from './group-commit.js';

describe('group runner', () => {
  it('runs items added in the same tick as one group and answers each caller', async () => {
    const groups: number[][] = [];
    const runner = createGroupRunner((items: number[]) => {
      groups.push(items);
      return Promise.resolve(items.map((x) => ({ ok: true as const, value: x * 10 })));
    });
    await expect(Promise.all([runner.add(1), runner.add(2), runner.add(3)])).resolves.toEqual([10, 20, 30]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('fails only the items whose result failed', async () => {
    const runner = createGroupRunner((items: number[]) =>
      Promise.resolve(
        items.map((x) =>
          x % 2 ? { ok: true as const, value: x } : { ok: false as const, error: new Error(`bad ${x}`) },
        ),
      ),
    );
    const results = await Promise.allSettled([runner.add(1), runner.add(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('queues items while the in-flight limit is reached and sends them as the next group', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runner = createGroupRunner(
      async (items: number[]) => {
        groups.push(items);
        if (groups.length === 1) await gate;
        return items.map((value) => ({ ok: true as const, value }));
      },
      { maxInFlight: 1, maxGroup: 2 },
    );
    const first = runner.add(0);
    await new Promise((r) => setImmediate(r));
    const rest = [1, 2, 3].map((x) => runner.add(x));
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([[0]]);
    release();
    await Promise.all([first, ...rest]);
    expect(groups).toEqual([[0], [1, 2], [3]]);
  });

  it('rejects every caller of a write batch that failed', async () => {
    const batcher = createWriteBatcher(() => Promise.reject(new Error('db down')));
    const results = await Promise.allSettled([batcher.add('a'), batcher.add('b')]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
});
