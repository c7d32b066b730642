import { describe, expect, it } from 'vitest';
import { placements } from '../chaos/checks.js';
import type { ProcessEvent } from '../chaos/processes.js';

const start = (attemptId: string, pid: number, t: number) =>
  ({ k: 'start', attemptId, orgId: 'o', batchId: 'b', contactId: '1', pid, t }) as const;
const end = (attemptId: string, pid: number, t: number) => ({ k: 'end', attemptId, pid, t, how: 'call.completed' }) as const;

describe('placements', () => {
  it('pairs each INVITE with the end logged by the same process', () => {
    const ps = placements([start('a', 1, 10), start('a', 2, 12), end('a', 2, 30), end('a', 1, 20)], [], 99);
    expect(ps.map((p) => [p.pid, p.t, p.end, p.ended])).toEqual([
      [1, 10, 20, true],
      [2, 12, 30, true],
    ]);
  });

  it('ends a call with no end line when its process was killed, else at check time', () => {
    const killed: ProcessEvent = { role: 'dialer', index: 0, pid: 1, at: 50, kind: 'killed', code: null, signal: 'SIGKILL' };
    const ps = placements([start('a', 1, 10), start('b', 3, 11)], [killed], 99);
    expect(ps.map((p) => [p.attemptId, p.end, p.ended])).toEqual([
      ['a', 50, false],
      ['b', 99, false],
    ]);
  });
});
