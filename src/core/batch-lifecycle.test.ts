import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchActions, batchTransition, isTerminalBatchStatus } from './batch-lifecycle.js';
import { batchStatuses } from './domain.js';

const now = new Date('2026-03-01T12:00:00Z');
const past = new Date('2026-03-01T11:00:00Z');
const future = new Date('2026-03-01T13:00:00Z');

describe('batch lifecycle', () => {
  it('starts a draft batch running at once when it has no startAt or one in the past', () => {
    expect(batchTransition('draft', 'start', { now, startAt: null })).toEqual({
      ok: true,
      from: 'draft',
      to: 'running',
      event: 'batch.started',
    });
    expect(batchTransition('draft', 'start', { now, startAt: past })).toMatchObject({ to: 'running' });
  });

  it('schedules a draft batch whose startAt is in the future, announcing the start only on activation', () => {
    expect(batchTransition('draft', 'start', { now, startAt: future })).toMatchObject({
      to: 'scheduled',
      event: null,
    });
    expect(batchTransition('scheduled', 'activate', { now, startAt: future }).ok).toBe(false);
    expect(batchTransition('scheduled', 'activate', { now, startAt: past })).toMatchObject({
      to: 'running',
      event: 'batch.started',
    });
  });

  it('pauses running or scheduled batches and resumes them where their startAt says', () => {
    expect(batchTransition('running', 'pause', { now, startAt: null })).toMatchObject({ to: 'paused' });
    expect(batchTransition('scheduled', 'pause', { now, startAt: future })).toMatchObject({ to: 'paused' });
    expect(batchTransition('paused', 'resume', { now, startAt: null })).toMatchObject({ to: 'running' });
    expect(batchTransition('paused', 'resume', { now, startAt: future })).toMatchObject({ to: 'scheduled' });
    expect(batchTransition('draft', 'pause', { now, startAt: null })).toMatchObject({ ok: false });
    expect(batchTransition('running', 'resume', { now, startAt: null })).toMatchObject({ ok: false });
  });

  it('refuses to start a batch twice', () => {
    expect(batchTransition('running', 'start', { now, startAt: null })).toEqual({
      ok: false,
      from: 'running',
      reason: 'cannot start a batch that is running',
    });
  });

  it('never moves a completed or cancelled batch, whatever the action', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('completed' as const, 'cancelled' as const),
        fc.constantFrom(...batchActions),
        fc.option(fc.date({ noInvalidDate: true })),
        (from, action, startAt) => !batchTransition(from, action, { now, startAt }).ok,
      ),
    );
  });

  it('always lands in a known status and announces every move into paused, cancelled or completed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...batchStatuses),
        fc.constantFrom(...batchActions),
        fc.option(fc.date({ noInvalidDate: true })),
        (from, action, startAt) => {
          const t = batchTransition(from, action, { now, startAt });
          if (!t.ok) return true;
          expect(batchStatuses).toContain(t.to);
          if (['paused', 'cancelled', 'completed'].includes(t.to)) expect(t.event).not.toBeNull();
          return !isTerminalBatchStatus(from);
        },
      ),
    );
  });
});
