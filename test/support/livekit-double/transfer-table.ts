// How the double answers TransferSIPParticipant (a cold transfer by SIP REFER), keyed by the last
// four digits of the transfer target (tel:+1202555XXXX or sip:+1202555XXXX@host). On the real
// stack the callee's phone answers the REFER (202) and reports in NOTIFYs how dialling the target
// went; livekit-sip v1.8.0 (pkg/sip/protocol.go) turns a final NOTIFY other than 200 into
// "call transfer failed: sip status: <code>: <reason>" and a REFER refused outright into
// "sip status: <code>: <reason>", both with the SIP status in the Twirp meta like a failed dial
// (code from protocol's SIP → gRPC table). The success path (202, NOTIFY 100/200, then the
// callee's leg ends CLIENT_INITIATED) and the Refer-To form are checked against the real stack
// (test/livekit/real-call.test.ts, phone …0109); the failure texts follow the source, unverified live.
//
// | suffix | answer                                             | Twirp code (HTTP)        |
// |--------|----------------------------------------------------|--------------------------|
// | 0603   | NOTIFY 603 Decline (the target refused)            | permission_denied (403)  |
// | 0486   | NOTIFY 486 Busy Here                               | resource_exhausted (429) |
// | 0405   | REFER answered 405 Method Not Allowed (no REFER)   | invalid_argument (400)   |
// | other  | transferred: the callee leaves the room            | 200                      |
import type { TwirpCode } from './twirp.js';

export type TransferAnswer =
  | { kind: 'accept' }
  | { kind: 'sip_error'; stage: 'refer' | 'notify'; sipStatusCode: number; sipStatus: string; code: TwirpCode };

export const transferTable: Readonly<Record<string, TransferAnswer>> = {
  '0603': { kind: 'sip_error', stage: 'notify', sipStatusCode: 603, sipStatus: 'Decline', code: 'permission_denied' },
  '0486': { kind: 'sip_error', stage: 'notify', sipStatusCode: 486, sipStatus: 'Busy Here', code: 'resource_exhausted' },
  '0405': { kind: 'sip_error', stage: 'refer', sipStatusCode: 405, sipStatus: 'Method Not Allowed', code: 'invalid_argument' },
};

export function transferAnswerFor(transferTo: string): TransferAnswer {
  const digits = /(\d{4})(?:@|>|$)/.exec(transferTo)?.[1];
  return (digits !== undefined ? transferTable[digits] : undefined) ?? { kind: 'accept' };
}

/** livekit-sip's text for a failed transfer. */
export function transferErrorText(answer: Extract<TransferAnswer, { kind: 'sip_error' }>): string {
  const status = `sip status: ${answer.sipStatusCode}: ${answer.sipStatus}`;
  return answer.stage === 'notify' ? `call transfer failed: ${status}` : status;
}
