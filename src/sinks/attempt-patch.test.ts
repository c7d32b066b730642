import { describe, expect, it } from 'vitest';
import { transition } from './attempt-machine.js';
import { attemptPatch, type AttemptSnapshot } from './attempt-patch.js';

const open: AttemptSnapshot = {
  status: 'dialing',
  started_at: new Date('2026-03-02T10:00:00Z'),
  answered_at: null,
  amd: null,
  recording_url: null,
  sip_status: null,
  sip_reason: null,
};
const at = new Date('2026-03-02T10:00:30Z');

describe('attempt patch', () => {
  it('stamps the answer time once; a later duplicate keeps the first', () => {
    const first = attemptPatch(transition('dialing', 'call.answered'), open, {
      type: 'call.answered',
      occurredAt: at,
      data: {},
    });
    expect(first.update).toEqual({ status: 'in_progress', answered_at: at });
    const answered = { ...open, status: 'in_progress' as const, answered_at: at };
    const later = new Date('2026-03-02T10:01:00Z');
    const again = attemptPatch(transition('in_progress', 'call.answered'), answered, {
      type: 'call.answered',
      occurredAt: later,
      data: {},
    });
    expect(again.update).toEqual({});
  });

  it('writes the result columns when a call completes', () => {
    const p = attemptPatch(
      transition('in_progress', 'call.completed'),
      { ...open, status: 'in_progress', answered_at: at },
      {
        type: 'call.completed',
        occurredAt: new Date('2026-03-02T10:01:30Z'),
        data: {
          outcome: 'completed',
          durationMs: 60_000,
          transcript: [{ role: 'agent', text: 'Hi', atMs: 0 }],
          outcomeData: { ok: true },
        },
      },
    );
    expect(p.outcome).toBe('completed');
    expect(p.update).toMatchObject({
      status: 'finished',
      outcome: 'completed',
      duration_ms: 60_000,
      transcript: JSON.stringify([{ role: 'agent', text: 'Hi', atMs: 0 }]),
      outcome_data: JSON.stringify({ ok: true }),
    });
  });

  it('records where a transferred call went', () => {
    const p = attemptPatch(transition('in_progress', 'call.completed'), { ...open, status: 'in_progress', answered_at: at }, {
      type: 'call.completed',
      occurredAt: new Date('2026-03-02T10:01:30Z'),
      data: { outcome: 'transferred', reason: 'transferred', transferredTo: '+12025550109' },
    });
    expect(p.update).toMatchObject({ outcome: 'transferred', transferred_to: '+12025550109' });
    const plain = attemptPatch(transition('in_progress', 'call.completed'), { ...open, status: 'in_progress', answered_at: at }, {
      type: 'call.completed',
      occurredAt: new Date('2026-03-02T10:01:30Z'),
      data: { outcome: 'completed', transferredTo: null },
    });
    expect(plain.update).not.toHaveProperty('transferred_to');
  });

  it('takes the answer time the agent reported when call.answered never arrived', () => {
    const p = attemptPatch(transition('dialing', 'call.completed'), open, {
      type: 'call.completed',
      occurredAt: new Date('2026-03-02T10:01:30Z'),
      data: { outcome: 'voicemail_left', answeredAt: at.toISOString() },
    });
    expect(p.update).toMatchObject({ answered_at: at, duration_ms: 60_000 });
  });

  it('clamps wild numbers instead of failing the write', () => {
    const p = attemptPatch(transition('dialing', 'call.failed'), open, {
      type: 'call.failed',
      occurredAt: at,
      data: { outcome: 'busy', sipStatus: 1e12, durationMs: 1e20, reason: 'Busy Here' },
    });
    expect(p.update).toMatchObject({
      outcome: 'busy',
      sip_status: null,
      duration_ms: 2_147_483_647,
      sip_reason: 'Busy Here',
    });
  });

  it('stores a recording URL even on a finished attempt', () => {
    const p = attemptPatch(
      transition('finished', 'call.recording_ready'),
      { ...open, status: 'finished' },
      {
        type: 'call.recording_ready',
        occurredAt: at,
        data: { location: 's3://recordings/a.ogg', durationMs: 1000, sizeBytes: 10 },
      },
    );
    expect(p).toEqual({ update: { recording_url: 's3://recordings/a.ogg' }, outcome: null });
  });
});
