// Pure: the columns an event writes on its attempt, given the table's transition. Times are
// first-wins (a late duplicate never moves `answered_at`), and only finishing events write
// the result columns.
import type { AttemptOutcome } from '../core/domain.js';
import type { Attempt, AttemptUpdate } from '../core/db/schema.js';
import { finishingOutcome, type AttemptEventType, type Transition } from './attempt-machine.js';
import { assertNever } from '../core/domain.js';

export interface PatchEvent {
  type: AttemptEventType;
  occurredAt: Date;
  data: Record<string, unknown>;
}

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
  const base: AttemptUpdate = t.next !== current.status ? { status: t.next } : {};
  switch (t.action) {
    case 'record':
      return { update: base, outcome: null };
    case 'started':
      return { update: { ...base, started_at: current.started_at ?? ev.occurredAt }, outcome: null };
    case 'answered':
      return { update: { ...base, answered_at: current.answered_at ?? ev.occurredAt }, outcome: null };
    case 'amd':
      return {
        update: {
          ...base,
          answered_at: current.answered_at ?? ev.occurredAt,
          amd: JSON.stringify(amdOf(ev.data)),
        },
        outcome: null,
      };
    case 'recording': {
      const url = str(ev.data.location);
      return { update: url ? { ...base, recording_url: url } : base, outcome: null };
    }
    case 'finish':
      return finishPatch(base, current, ev);
    default:
      return assertNever(t.action, 'attempt action');
  }
}

function finishPatch(base: AttemptUpdate, current: AttemptSnapshot, ev: PatchEvent): Patch {
  const type = ev.type === 'call.failed' ? 'call.failed' : 'call.completed';
  const outcome = finishingOutcome(type, ev.data);
  const d = ev.data;
  // The agent reports when it saw the answer; it fills the gap if call.answered never arrived.
  const reported = typeof d.answeredAt === 'string' ? new Date(d.answeredAt) : null;
  const answeredAt = current.answered_at ?? (reported && !Number.isNaN(reported.getTime()) ? reported : null);
  const duration =
    num(d.durationMs) ?? (answeredAt ? Math.max(0, ev.occurredAt.getTime() - answeredAt.getTime()) : null);
  const update: AttemptUpdate = {
    ...base,
    ...(answeredAt && !current.answered_at ? { answered_at: answeredAt } : {}),
    outcome,
    ended_at: ev.occurredAt,
    // Clamped to the column's range: a wild value from a buggy producer must not block the attempt.
    duration_ms: duration === null ? null : Math.min(Math.max(Math.round(duration), 0), 2_147_483_647),
    sip_status: sipStatus(d.sipStatus) ?? current.sip_status,
    sip_reason: str(d.reason) ?? current.sip_reason,
  };
  if (d.amd !== undefined && d.amd !== null) update.amd = JSON.stringify(d.amd);
  if (d.transcript !== undefined && d.transcript !== null) update.transcript = JSON.stringify(d.transcript);
  const transferredTo = str(d.transferredTo);
  if (transferredTo) update.transferred_to = transferredTo;
  const outcomeData = d.outcomeData ?? d.result;
  if (outcomeData !== undefined && outcomeData !== null) update.outcome_data = JSON.stringify(outcomeData);
  return { update, outcome };
}

function amdOf(data: Record<string, unknown>): unknown {
  return data.amd ?? data;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function sipStatus(v: unknown): number | null {
  const n = num(v);
  return n !== null && Number.isInteger(n) && n >= 100 && n <= 699 ? n : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}
