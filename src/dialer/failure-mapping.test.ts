import { ServerError, SipCallError } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import {
  dialFailureFromError,
  outcomeForSignal,
  outcomeForSipStatus,
  signalFromError,
} from './failure-mapping.js';

const sipError = (code: number, reason: string, twirp = 'resource_exhausted') =>
  new SipCallError('Too Many Requests', 'x', 429, twirp, {
    sip_status_code: String(code),
    sip_status: reason,
  });

describe('outcomeForSipStatus', () => {
  it.each([
    [486, 'busy'],
    [600, 'busy'],
    [603, 'rejected'],
    [403, 'rejected'],
    [607, 'rejected'],
    [608, 'rejected'],
    [488, 'rejected'],
    [404, 'invalid_number'],
    [410, 'invalid_number'],
    [484, 'invalid_number'],
    [604, 'invalid_number'],
    [408, 'no_answer'],
    [480, 'no_answer'],
    [487, 'no_answer'],
    [500, 'failed'],
    [502, 'failed'],
    [503, 'failed'],
    [504, 'failed'],
    [401, 'failed'],
    [407, 'failed'],
    [429, 'failed'],
  ] as const)('maps SIP %i to %s', (code, outcome) => {
    expect(outcomeForSipStatus(code)).toBe(outcome);
  });

  it('never maps a 5xx to anything but failed, nor a 6xx to failed', () => {
    for (let code = 500; code < 600; code++) expect(outcomeForSipStatus(code)).toBe('failed');
    for (let code = 600; code < 700; code++) expect(outcomeForSipStatus(code)).not.toBe('failed');
  });
});

describe('signalFromError', () => {
  it('reads the SIP status from a SipCallError', () => {
    expect(dialFailureFromError(sipError(486, 'Busy Here'), 'sip')).toEqual({
      outcome: 'busy',
      sipStatus: 486,
      reason: 'Busy Here',
    });
  });

  it('reads SIP meta from a plain ServerError, as SDKs before 2.17 raise it', () => {
    const err = new ServerError('Forbidden', 'x', 403, 'permission_denied', {
      sip_status_code: '603',
      sip_status: 'Decline',
    });
    expect(dialFailureFromError(err, 'sip')).toMatchObject({ outcome: 'rejected', sipStatus: 603 });
  });

  it('treats a canceled error without SIP status during the SIP stage as a ring timeout', () => {
    const err = new ServerError('Request Timeout', 'sip request timed out', 408, 'canceled', undefined);
    expect(signalFromError(err, 'sip')).toEqual({ kind: 'ring_timeout' });
    expect(dialFailureFromError(err, 'sip')).toMatchObject({ outcome: 'no_answer', sipStatus: null });
    expect(dialFailureFromError(err, 'room').outcome).toBe('failed');
  });

  it('treats a client TimeoutError while ringing as no answer, elsewhere as failed', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(dialFailureFromError(timeout, 'sip').outcome).toBe('no_answer');
    expect(dialFailureFromError(timeout, 'dispatch').outcome).toBe('failed');
  });

  it('maps provider errors without SIP status and unreachable servers to failed', () => {
    const missingTrunk = new ServerError(
      'Not Found',
      'requested sip trunk does not exist',
      404,
      'not_found',
      undefined,
    );
    expect(dialFailureFromError(missingTrunk, 'sip')).toEqual({
      outcome: 'failed',
      sipStatus: null,
      reason: 'not_found: requested sip trunk does not exist',
    });
    expect(dialFailureFromError(new TypeError('fetch failed'), 'room')).toEqual({
      outcome: 'failed',
      sipStatus: null,
      reason: 'fetch failed',
    });
  });

  it('keeps the reason phrase for every SIP signal', () => {
    expect(outcomeForSignal({ kind: 'sip_status', code: 404, reason: 'Not Found' })).toEqual({
      outcome: 'invalid_number',
      sipStatus: 404,
      reason: 'Not Found',
    });
  });
});
