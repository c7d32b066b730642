import { describe, expect, it } from 'vitest';
import { waitReasons, type BatchStatusBody } from './batch-watch.js';

const status = (contacts: number, nextAt: string | null): BatchStatusBody => ({
  id: 'b',
  status: 'running',
  counts: { total: 5, status: {} },
  active: 0,
  limits: { org: 1, batch: 1 },
  waitingForRetry: { contacts, nextAt },
});
const preview = (waitingForWindow: number, zoneSets: { openNow: boolean; nextOpenAt: string | null }[]) => ({
  at: '2026-01-01T00:00:00.000Z',
  waitingForWindow,
  zoneSets,
});

describe('waitReasons', () => {
  it('says nothing when no contact waits', () => {
    expect(waitReasons(status(0, null), preview(0, [{ openNow: true, nextOpenAt: '2026-01-01T00:00:00.000Z' }]))).toBe('');
  });
  it('names the earliest window to open among closed zone sets, and the next retry', () => {
    const sets = [
      { openNow: true, nextOpenAt: '2026-01-01T00:00:00.000Z' },
      { openNow: false, nextOpenAt: '2026-01-02T14:00:00.000Z' },
      { openNow: false, nextOpenAt: '2026-01-02T09:00:00.000Z' },
    ];
    expect(waitReasons(status(2, '2026-01-01T00:30:00.000Z'), preview(7, sets))).toBe(
      'waiting: 7 waiting for their calling window (next opens at 2026-01-02T09:00:00.000Z), 2 waiting for a retry (next at 2026-01-01T00:30:00.000Z)',
    );
  });
  it('says when no window opens', () => {
    expect(waitReasons(status(0, null), preview(3, [{ openNow: false, nextOpenAt: null }]))).toBe(
      'waiting: 3 waiting for their calling window (none opens within 400 days)',
    );
  });
});
