// Why a dial failed, in one place: what the provider reported (a signal) → the attempt outcome
// that drives retries (busy 10 min, no_answer 60 min, failed 5 min; rejected and invalid_number
// are never retried). Both adapters go through outcomeForSignal, so the Sim fails the way LiveKit does.
import { ServerError } from 'livekit-server-sdk';
import { sipStatusOf } from '../core/sip-status.js';
import type { DialFailure } from './telephony.js';

/** What the provider told us, independent of how its SDK spells it. */
export type DialSignal =
  /** The far end or the trunk answered the INVITE with a final SIP status. */
  | { kind: 'sip_status'; code: number; reason: string }
  /** Nobody answered within the ringing timeout (Twirp `canceled` with no SIP status). */
  | { kind: 'ring_timeout' }
  /** Our request timed out while the call was ringing (fetch TimeoutError). */
  | { kind: 'client_timeout' }
  /** The provider refused or failed the request without a SIP status (missing trunk, unavailable …). */
  | { kind: 'provider_error'; code: string; message: string }
  /** The provider could not be reached, or something else broke. */
  | { kind: 'transport'; message: string };

/** Where in the dial sequence an error happened: only the SIP stage can mean "nobody answered". */
export type DialStage = 'room' | 'dispatch' | 'sip';

const busy = new Set([486, 600]);
const invalidNumber = new Set([404, 410, 484, 485, 604]);
const noAnswer = new Set([408, 480, 487]);
/** Declines by the callee's side; LiveKit classes these as USER_REJECTED too (488 included). */
const declined = new Set([403, 488, 603, 606, 607, 608]);

export function outcomeForSipStatus(code: number): DialFailure['outcome'] {
  if (busy.has(code)) return 'busy';
  if (invalidNumber.has(code)) return 'invalid_number';
  if (noAnswer.has(code)) return 'no_answer';
  if (declined.has(code) || (code >= 600 && code < 700)) return 'rejected';
  // 5xx and the remaining 4xx (auth, rate limits, malformed requests) are trunk-side problems:
  // `failed` is retried with backoff and feeds the batch circuit breaker; a decline never is.
  return 'failed';
}

export function outcomeForSignal(signal: DialSignal): DialFailure {
  switch (signal.kind) {
    case 'sip_status':
      return { outcome: outcomeForSipStatus(signal.code), sipStatus: signal.code, reason: signal.reason };
    case 'ring_timeout':
      return { outcome: 'no_answer', sipStatus: null, reason: 'ring timeout' };
    case 'client_timeout':
      return { outcome: 'no_answer', sipStatus: null, reason: 'dial request timed out while ringing' };
    case 'provider_error':
      return { outcome: 'failed', sipStatus: null, reason: `${signal.code}: ${signal.message}` };
    case 'transport':
      return { outcome: 'failed', sipStatus: null, reason: signal.message };
  }
}

/** Reads a livekit-server-sdk error (or anything thrown while dialling) as a DialSignal. */
export function signalFromError(err: unknown, stage: DialStage): DialSignal {
  const sip = sipStatusOf(err);
  if (sip) return { kind: 'sip_status', ...sip };
  if (err instanceof ServerError) {
    if (stage === 'sip' && err.code === 'canceled') return { kind: 'ring_timeout' };
    return { kind: 'provider_error', code: err.code ?? String(err.status), message: err.message };
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    return stage === 'sip'
      ? { kind: 'client_timeout' }
      : { kind: 'transport', message: `${stage}: request timed out` };
  }
  return { kind: 'transport', message: err instanceof Error ? err.message : String(err) };
}

export function dialFailureFromError(err: unknown, stage: DialStage): DialFailure {
  return outcomeForSignal(signalFromError(err, stage));
}
