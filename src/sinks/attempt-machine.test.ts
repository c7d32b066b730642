import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attemptStatuses, type AttemptStatus } from '../core/domain.js';
import {
  applyEvents,
  attemptEventTypes,
  transition,
  type AttemptEventType,
  type MachineEvent,
} from './attempt-machine.js';

const rank: Record<AttemptStatus, number> = { queued: 0, dialing: 1, in_progress: 2, finished: 3 };

// Expected next status per row, written out by hand: q=queued d=dialing p=in_progress f=finished.
const expected: Record<AttemptEventType, [AttemptStatus, AttemptStatus, AttemptStatus, AttemptStatus]> = {
  'call.queued': ['queued', 'dialing', 'in_progress', 'finished'],
  'call.dialing': ['dialing', 'dialing', 'in_progress', 'finished'],
  'call.answered': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.failed': ['finished', 'finished', 'finished', 'finished'],
  'call.amd_result': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.conversation_started': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.notification_delivered': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.voicemail_left': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.amd_hangup': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.user_hangup': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.transferred': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.transfer_failed': ['in_progress', 'in_progress', 'in_progress', 'finished'],
  'call.error': ['queued', 'dialing', 'in_progress', 'finished'],
  'call.completed': ['finished', 'finished', 'finished', 'finished'],
  'call.recording_ready': ['queued', 'dialing', 'in_progress', 'finished'],
};

const rows = attemptStatuses.flatMap((status, i) =>
  attemptEventTypes.map((type) => ({ status, type, next: expected[type][i] as AttemptStatus })),
);

describe('attempt transition table', () => {
  it.each(rows)('moves $status on $type to $next', ({ status, type, next }) => {
    const t = transition(status, type);
    expect(t.next).toBe(next);
    expect(rank[t.next]).toBeGreaterThanOrEqual(rank[status]);
  });

  it.each(attemptEventTypes)('lets a finished attempt absorb %s without touching its result', (type) => {
    const t = transition('finished', type);
    expect(t.next).toBe('finished');
    expect(t.action).toBe(type === 'call.recording_ready' ? 'recording' : 'record');
  });

  it('finishes an open attempt only on call.failed and call.completed', () => {
    for (const status of ['queued', 'dialing', 'in_progress'] as const) {
      const finishing = attemptEventTypes.filter((t) => transition(status, t).action === 'finish');
      expect(finishing.sort()).toEqual(['call.completed', 'call.failed']);
    }
  });

  it('stores an AMD verdict from any open status and ignores it once finished', () => {
    expect(transition('dialing', 'call.amd_result').action).toBe('amd');
    expect(transition('in_progress', 'call.amd_result').action).toBe('amd');
    expect(transition('finished', 'call.amd_result').action).toBe('record');
  });
});


const eventArb = fc.record({
  id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6'),
  type: fc.constantFrom(...attemptEventTypes),
});
const statusArb = fc.constantFrom(...attemptStatuses);
const params = { seed: 20260601, numRuns: 500 };

describe('event sequences (property)', () => {
  it('never moves an attempt backwards, whatever the order', () => {
    fc.assert(
      fc.property(statusArb, fc.array(eventArb, { maxLength: 20 }), (start, events) => {
        let s = start;
        for (const e of events) {
          const next = transition(s, e.type).next;
          expect(rank[next]).toBeGreaterThanOrEqual(rank[s]);
          s = next;
        }
      }),
      params,
    );
  });

  it('gives the same status when events are delivered twice', () => {
    fc.assert(
      fc.property(statusArb, fc.array(eventArb, { maxLength: 20 }), (start, events) => {
        const doubled: MachineEvent[] = events.flatMap((e) => [e, e]);
        expect(applyEvents(start, doubled)).toBe(applyEvents(start, events));
      }),
      params,
    );
  });

  it('ends finished in any order once a finishing event is among them', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 10 }),
        fc.constantFrom<AttemptEventType>('call.completed', 'call.failed'),
        fc.nat(),
        (events, fin, at) => {
          const all = [...events.map((e, i) => ({ ...e, id: `x${i}` }))];
          all.splice(at % (all.length + 1), 0, { id: 'final', type: fin });
          expect(applyEvents('queued', all)).toBe('finished');
        },
      ),
      params,
    );
  });
});
