// The attempt state machine as a table: status × event type → next status + one action.
// Status only moves forward (queued < dialing < in_progress < finished) and `finished`
// absorbs everything, so duplicated or reordered events can never undo a result. Duplicates
// by event id are stopped before the table (call_events primary key); `applyEvents` shows
// the same rule for pure callers.
import { eventTypes, type AttemptStatus, type EventType } from '../core/domain.js';
import type { CallEvent } from '../core/queues.js';

/** Event types that describe one attempt (`call.*`; batch.* and contact.* do not go through the table). */
export type AttemptEventType = Extract<EventType, `call.${string}`>;

export function isAttemptEvent(type: EventType): type is AttemptEventType {
  return type.startsWith('call.');
}

export const attemptEventTypes: readonly AttemptEventType[] = eventTypes.filter(isAttemptEvent);

/** A parsed event about one attempt, its `data` typed by its `type`. */
export type AttemptCallEvent = Extract<CallEvent, { type: AttemptEventType }>;

export function isAttemptCallEvent(ev: CallEvent): ev is AttemptCallEvent {
  return isAttemptEvent(ev.type);
}

/**
 * What the event does to the attempt row besides the status:
 * - `record`: audit only; `started` / `answered`: stamp the time (first one wins);
 * - `amd`: store the verdict (and implies the call was answered);
 * - `finish`: set the outcome and end time, the contact's retry follows;
 * - `recording`: store the recording URL (recordings arrive after the end, so any status).
 */
export type AttemptAction = 'record' | 'started' | 'answered' | 'amd' | 'finish' | 'recording';

export interface Transition {
  next: AttemptStatus;
  action: AttemptAction;
}

const stay = (s: AttemptStatus): Transition => ({ next: s, action: 'record' });
const answered: Transition = { next: 'in_progress', action: 'answered' };
const finish: Transition = { next: 'finished', action: 'finish' };
const recording = (s: AttemptStatus): Transition => ({ next: s, action: 'recording' });
const amd: Transition = { next: 'in_progress', action: 'amd' };

/** Everything the agent reports happens after an answer, so from an earlier status it also answers the call. */
function open(s: 'queued' | 'dialing'): Record<AttemptEventType, Transition> {
  return {
    'call.queued': stay(s),
    'call.dialing': { next: 'dialing', action: 'started' },
    'call.answered': answered,
    'call.failed': finish,
    'call.amd_result': amd,
    'call.conversation_started': answered,
    'call.notification_delivered': answered,
    'call.voicemail_left': answered,
    'call.amd_hangup': answered,
    'call.user_hangup': answered,
    'call.transferred': answered,
    'call.transfer_failed': answered,
    'call.error': stay(s),
    'call.completed': finish,
    'call.recording_ready': recording(s),
  };
}

export const transitions: Readonly<Record<AttemptStatus, Readonly<Record<AttemptEventType, Transition>>>> = {
  queued: open('queued'),
  dialing: open('dialing'),
  in_progress: {
    'call.queued': stay('in_progress'),
    'call.dialing': stay('in_progress'),
    'call.answered': stay('in_progress'),
    'call.failed': finish,
    'call.amd_result': { next: 'in_progress', action: 'amd' },
    'call.conversation_started': stay('in_progress'),
    'call.notification_delivered': stay('in_progress'),
    'call.voicemail_left': stay('in_progress'),
    'call.amd_hangup': stay('in_progress'),
    'call.user_hangup': stay('in_progress'),
    // The outcome `transferred` arrives with call.completed, like every agent-side result.
    'call.transferred': stay('in_progress'),
    'call.transfer_failed': stay('in_progress'),
    'call.error': stay('in_progress'),
    'call.completed': finish,
    'call.recording_ready': recording('in_progress'),
  },
  finished: {
    'call.queued': stay('finished'),
    'call.dialing': stay('finished'),
    'call.answered': stay('finished'),
    'call.failed': stay('finished'),
    'call.amd_result': stay('finished'),
    'call.conversation_started': stay('finished'),
    'call.notification_delivered': stay('finished'),
    'call.voicemail_left': stay('finished'),
    'call.amd_hangup': stay('finished'),
    'call.user_hangup': stay('finished'),
    'call.transferred': stay('finished'),
    'call.transfer_failed': stay('finished'),
    'call.error': stay('finished'),
    'call.completed': stay('finished'),
    'call.recording_ready': recording('finished'),
  },
};

export function transition(status: AttemptStatus, type: AttemptEventType): Transition {
  return transitions[status][type];
}

export interface MachineEvent {
  id: string;
  type: AttemptEventType;
}

/** Folds events over a status, ignoring ids already seen: the pure picture of what the worker does. */
export function applyEvents(status: AttemptStatus, events: readonly MachineEvent[]): AttemptStatus {
  const seen = new Set<string>();
  let s = status;
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    s = transition(s, e.type).next;
  }
  return s;
}
