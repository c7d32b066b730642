// What the agent does once it knows who answered, and how each way a call can end maps to an
// event and an attempt outcome. Pure: the call flow asks, this module answers. A person is
// assumed when AMD is off or unsure (human-first: a person must never be hung up on).
import type { AttemptOutcome, EventType } from '../core/domain.js';
import { assertNever } from '../core/domain.js';
import type { AmdVerdict } from './amd/types.js';
import type { DispatchMetadata } from '../core/dispatch-metadata.js';

export type CallPath =
  | { kind: 'notify'; message: string }
  | {
      kind: 'converse';
      instructions: string;
      greeting: string | null;
      /** The values of the instructions' placeholders, for the model as data; null when already filled in. */
      contactData: Readonly<Record<string, string>> | null;
      /** Where transfer_call may hand the callee; null: the campaign has no transfer, the tool is not offered. */
      transfer: { to: string; announce: string | null } | null;
    }
  | { kind: 'machine_hangup' }
  | { kind: 'leave_voicemail'; message: string };

export function choosePath(meta: DispatchMetadata, verdict: AmdVerdict | null): CallPath {
  if (verdict?.result === 'machine') {
    if (meta.amd.onMachine === 'leave_voicemail' && meta.voicemailMessage) {
      return { kind: 'leave_voicemail', message: meta.voicemailMessage };
    }
    return { kind: 'machine_hangup' };
  }
  if (meta.mode === 'one_way') return { kind: 'notify', message: meta.message ?? '' };
  return {
    kind: 'converse',
    instructions: meta.instructions ?? '',
    greeting: meta.greeting,
    contactData: meta.contactData ?? null,
    transfer: meta.transfer ?? null,
  };
}

/** How a call ended, as the flow saw it. */
export type CallEnding =
  | { kind: 'path_done'; path: CallPath['kind'] }
  | { kind: 'user_hangup'; path: CallPath['kind'] | null }
  | { kind: 'max_duration'; path: CallPath['kind'] | null }
  /** transfer_call handed the callee over; call.transferred is already out. */
  | { kind: 'transferred' }
  | { kind: 'error'; message: string };

export interface EndingReport {
  /** The event announcing the ending, emitted before call.completed (null when the path's own event suffices). */
  event: EventType | null;
  outcome: AttemptOutcome;
  reason: string;
}

function pathOutcome(path: CallPath['kind'] | null): AttemptOutcome {
  switch (path) {
    case 'machine_hangup':
      return 'voicemail';
    case 'leave_voicemail':
      // Hung up on during the message: the machine answered, the message is not known to be whole.
      return 'voicemail';
    case 'notify':
    case 'converse':
    case null:
      return 'completed';
    default:
      return assertNever(path, 'call path');
  }
}

function pathDoneReport(path: CallPath['kind']): EndingReport {
  switch (path) {
    case 'notify':
      return { event: 'call.notification_delivered', outcome: 'completed', reason: 'message_delivered' };
    case 'converse':
      return { event: null, outcome: 'completed', reason: 'conversation_ended' };
    case 'machine_hangup':
      return { event: 'call.amd_hangup', outcome: 'voicemail', reason: 'machine_detected' };
    case 'leave_voicemail':
      return { event: 'call.voicemail_left', outcome: 'voicemail_left', reason: 'voicemail_left' };
    default:
      return assertNever(path, 'call path');
  }
}

export function reportEnding(ending: CallEnding): EndingReport {
  switch (ending.kind) {
    case 'path_done':
      return pathDoneReport(ending.path);
    case 'user_hangup':
      return { event: 'call.user_hangup', outcome: pathOutcome(ending.path), reason: 'user_hangup' };
    case 'max_duration':
      return { event: null, outcome: pathOutcome(ending.path), reason: 'max_call_duration' };
    case 'transferred':
      return { event: null, outcome: 'transferred', reason: 'transferred' };
    case 'error':
      return { event: 'call.error', outcome: 'failed', reason: ending.message };
    default:
      return assertNever(ending, 'call ending');
  }
}
