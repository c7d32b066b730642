// Pure: the columns an event writes on its attempt, given the table's transition. Times are
// first-wins (a late duplicate never moves `answered_at`), and only finishing events write
// the result columns. The event was parsed with its type's schema (core/event-data.ts), so its
// data is read as typed, never by hand.
import type { AttemptOutcome } from '../core/domain.js';
import type { Attempt, AttemptUpdate } from '../core/db/schema.js';
import type { CallCompletedData, CallFailedData } from '../core/event-data.js';
import type { AttemptCallEvent, Transition } from './attempt-machine.js';
import { assertNever } from '../core/domain.js';

/** An attempt event as the patch reads it (`occurredAt` parsed). */
export type PatchEvent = AttemptCallEvent extends infer E
  ? E extends AttemptCallEvent
    ? Pick<E, 'type' | 'data'> & { occurredAt: Date }
    : never
  : never;

export type AttemptSnapshot = Pick<
  Attempt,
  'status' | 'started_at' | 'answered_at' | 'amd' | 'recording_url' | 'sip_status' | 'sip_reason'
>;

export interface Patch {
  update: AttemptUpdate;
  /** Set when this event finished the attempt. */
  outcome: AttemptOutcome | null;
}

export function attemptPatch(t: Transition, current: AttemptSnapshot, ev: PatchEvent): Patch {
  const { occurredAt } = ev;
  const base: AttemptUpdate = t.next !== current.status ? { status: t.next } : {};
  switch (t.action) {
    case 'record':
      return { update: base, outcome: null };
    case 'started':
      return { update: { ...base, started_at: current.started_at ?? occurredAt }, outcome: null };
    case 'answered':
      return { update: { ...base, answered_at: current.answered_at ?? occurredAt }, outcome: null };
    case 'amd':
      return {
        update: {
          ...base,
          answered_at: current.answered_at ?? occurredAt,
          ...(ev.type === 'call.amd_result' ? { amd: JSON.stringify(ev.data.amd) } : {}),
        },
        outcome: null,
      };
    case 'recording':
      return {
        update:
          ev.type === 'call.recording_ready' && ev.data.location ? { ...base, recording_url: ev.data.location } : base,
        outcome: null,
      };
    case 'finish':
      if (ev.type === 'call.failed' || ev.type === 'call.completed')
        return finishPatch(base, current, ev.data, occurredAt);
      throw new Error(`${ev.type} cannot finish an attempt`);
    default:
      return assertNever(t.action, 'attempt action');
  }
}

function finishPatch(
  base: AttemptUpdate,
  current: AttemptSnapshot,
  d: CallFailedData | CallCompletedData,
  occurredAt: Date,
): Patch {
  // The agent reports when it saw the answer; it fills the gap if call.answered never arrived.
  const reported = typeof d.answeredAt === 'string' ? new Date(d.answeredAt) : null;
  const answeredAt = current.answered_at ?? (reported && !Number.isNaN(reported.getTime()) ? reported : null);
  const duration = d.durationMs ?? (answeredAt ? Math.max(0, occurredAt.getTime() - answeredAt.getTime()) : null);
  const update: AttemptUpdate = {
    ...base,
    ...(answeredAt && !current.answered_at ? { answered_at: answeredAt } : {}),
    outcome: d.outcome,
    ended_at: occurredAt,
    // Clamped to the column's range: a wild value from a buggy producer must not block the attempt.
    duration_ms: duration === null ? null : Math.min(Math.max(Math.round(duration), 0), 2_147_483_647),
    sip_status: sipStatus(d.sipStatus) ?? current.sip_status,
    sip_reason: d.reason || current.sip_reason,
  };
  if (d.amd !== undefined && d.amd !== null) update.amd = JSON.stringify(d.amd);
  if (d.transcript !== undefined && d.transcript !== null) update.transcript = JSON.stringify(d.transcript);
  if (typeof d.transferredTo === 'string' && d.transferredTo !== '') update.transferred_to = d.transferredTo;
  if (d.outcomeData !== undefined && d.outcomeData !== null) update.outcome_data = JSON.stringify(d.outcomeData);
  return { update, outcome: d.outcome };
}

/** A SIP status outside 100–699 (a buggy producer) is not stored. */
function sipStatus(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 699 ? v : null;
}
