// The retry policy (DESIGN.md "Retries"): pure. Given how an attempt ended, decide whether the
// contact is called again and when. One shared cap per contact counts the first call; the next
// time always lands inside the contact's calling window (via the injected `nextOpen`).
import type { RetryPolicyConfig, Schedule } from '../core/campaign.js';
import type { AttemptOutcome } from '../core/domain.js';
import { assertNever } from '../core/domain.js';
import { parseDuration } from '../core/duration.js';

export type NextOpen = (zones: string[], schedule: Schedule, from: Date) => Date | null;

export interface RetryInput {
  outcome: AttemptOutcome;
  /** 1-based number of the attempt that just ended. */
  attempt: number;
  config: RetryPolicyConfig;
  schedule: Schedule;
  zones: string[];
  endedAt: Date;
  /** Outcomes of the contact's earlier attempts, most recent first (for `failed` doubling). */
  previousOutcomes: readonly (AttemptOutcome | null)[];
  /** The callee asked to be called back at this time. */
  callbackAt?: Date | null;
  /** The callee asked never to be called again. */
  optOut?: boolean;
}

export type FinishReason = 'not_retryable' | 'max_attempts' | 'opt_out' | 'no_window';

export type RetryDecision =
  { kind: 'retry'; at: Date; reason: 'delay' | 'callback' } | { kind: 'finish'; reason: FinishReason };

/** Delay before the next call, or null when the outcome is never retried. */
export function retryDelayMs(
  outcome: AttemptOutcome,
  delays: RetryPolicyConfig['delays'],
  previousOutcomes: readonly (AttemptOutcome | null)[],
): number | null {
  switch (outcome) {
    case 'busy':
      return durationMs(delays.busy);
    case 'no_answer':
      return durationMs(delays.no_answer);
    case 'voicemail':
      return durationMs(delays.voicemail);
    case 'failed': {
      // Doubling per consecutive trunk/network failure of this contact, capped at 2^6.
      const streak = leadingCount(previousOutcomes, 'failed');
      return durationMs(delays.failed) * 2 ** Math.min(streak, 6);
    }
    case 'completed':
    case 'transferred': // with a person now: calling again would undo the hand-over
    case 'voicemail_left':
    case 'rejected':
    case 'invalid_number':
    case 'dnc':
    case 'cancelled':
      return null;
    default:
      return assertNever(outcome, 'outcome');
  }
}

/** Outcomes a callee-requested callback may override; a refusal or a bad number is final. */
const callbackable: ReadonlySet<AttemptOutcome> = new Set([
  'completed',
  'voicemail_left',
  'voicemail',
  'busy',
  'no_answer',
  'failed',
]);

export function decideRetry(input: RetryInput, nextOpen: NextOpen): RetryDecision {
  if (input.optOut) return { kind: 'finish', reason: 'opt_out' };
  const callback = input.callbackAt && callbackable.has(input.outcome) ? input.callbackAt : null;
  const delay = retryDelayMs(input.outcome, input.config.delays, input.previousOutcomes);
  if (callback === null && delay === null) return { kind: 'finish', reason: 'not_retryable' };
  if (input.attempt >= input.config.maxAttempts) return { kind: 'finish', reason: 'max_attempts' };
  const wanted =
    callback !== null
      ? new Date(Math.max(callback.getTime(), input.endedAt.getTime()))
      : new Date(input.endedAt.getTime() + (delay ?? 0));
  const at = nextOpen(input.zones, input.schedule, wanted);
  if (at === null) return { kind: 'finish', reason: 'no_window' };
  return { kind: 'retry', at, reason: callback !== null ? 'callback' : 'delay' };
}

function durationMs(text: string): number {
  const ms = parseDuration(text);
  // The campaign schema validates durations, so this only fires on a corrupted row.
  if (ms === null) throw new Error(`invalid retry delay ${JSON.stringify(text)}`);
  return ms;
}

function leadingCount<T>(xs: readonly T[], value: T): number {
  let n = 0;
  while (n < xs.length && xs[n] === value) n++;
  return n;
}
