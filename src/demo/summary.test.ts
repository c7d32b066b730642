// The demo's live view and --until-done summary count contacts and attempts apart, labelled so
// each set adds up: a retried contact has more than one attempt.
import { describe, expect, it } from 'vitest';
import type { Demo } from './demo.js';
import { summarise } from './run.js';
import { renderSnapshot, type BatchSnapshot, type Snapshot } from './snapshot.js';

const batch: BatchSnapshot = {
  id: 'b1',
  name: 'demo',
  status: 'running',
  limit: 2,
  active: 0,
  contacts: 6,
  finished: 3,
  waitingRetry: 1,
  waitingWindow: 1,
  due: 0,
  suppressed: 0,
  cancelled: 1,
  // Four contacts called (three finished, one waiting for a retry) over six attempts.
  outcomes: { completed: 3, busy: 2, no_answer: 1 },
};
const snapshot: Snapshot = {
  at: '2026-01-01T00:00:00.000Z',
  orgLimit: 2,
  orgActive: 0,
  batches: [batch],
  webhooks: { succeeded: 0, pending: 0, failed: 0, dead: 0 },
  done: true,
};

describe('demo summary', () => {
  it('reports attempts beside the per-attempt outcomes, and contacts that add up to the total', () => {
    const demo = { startedAt: Date.now(), imports: [], receiver: { events: new Map(), stats: { invalidSignatures: 0 } } };
    const s = summarise(demo as unknown as Demo, snapshot, { org: 0, batch: [0] });
    expect(s.attempts).toBe(6);
    expect(Object.values(s.outcomes).reduce((a, n) => a + n, 0)).toBe(s.attempts);
    expect(s.finished + s.waitingRetry + s.waitingWindow + s.suppressed + s.cancelled).toBe(s.contacts);
  });

  it('labels the live view’s counts as contacts and attempts', () => {
    const view = renderSnapshot(snapshot, 1000);
    expect(view).toContain('contacts: finished 3  retry 1  window 1  suppressed 0  cancelled 1');
    expect(view).toContain('attempts 6 outcomes: completed 3, busy 2, no_answer 1');
  });
});
