// Domain vocabulary shared by every role: statuses, outcomes and event types (the contract
// names from DESIGN.md). Adding a member here breaks the build wherever it must be handled.

export const attemptOutcomes = [
  'completed',
  /** Handed to a person by the two-way agent's transfer_call (SIP REFER): final, never retried. */
  'transferred',
  'voicemail_left',
  'voicemail',
  'busy',
  'no_answer',
  'rejected',
  'invalid_number',
  'failed',
  'cancelled',
  'dnc',
] as const;
export type AttemptOutcome = (typeof attemptOutcomes)[number];

export const attemptStatuses = ['queued', 'dialing', 'in_progress', 'finished'] as const;
export type AttemptStatus = (typeof attemptStatuses)[number];

/** pending: waiting for next_attempt_at (first call or a retry); in_progress: an attempt is open. */
export const contactStatuses = ['pending', 'in_progress', 'finished', 'cancelled', 'suppressed'] as const;
export type ContactStatus = (typeof contactStatuses)[number];

export const batchStatuses = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type BatchStatus = (typeof batchStatuses)[number];

export const eventTypes = [
  'batch.started',
  'batch.paused',
  'batch.resumed',
  'batch.completed',
  'batch.cancelled',
  'call.queued',
  'call.dialing',
  'call.answered',
  'call.failed',
  'call.amd_result',
  'call.conversation_started',
  'call.notification_delivered',
  'call.voicemail_left',
  'call.amd_hangup',
  'call.user_hangup',
  'call.transferred',
  'call.transfer_failed',
  'call.error',
  'call.completed',
  'call.recording_ready',
  'contact.retry_scheduled',
  'contact.finished',
] as const;
export type EventType = (typeof eventTypes)[number];

export type AmdResult = 'human' | 'machine' | 'uncertain';
export interface AmdVerdict {
  result: AmdResult;
  cause: string;
  decidedAtMs: number;
  beepAtMs?: number;
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
