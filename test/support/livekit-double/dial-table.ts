// How the double answers CreateSIPParticipant, keyed by the last four digits of the
// destination number. Errors follow livekit/protocol's SIP → Twirp mapping (livekit.md §1):
// meta carries `sip_status_code` (a string), `sip_status` and `error_details`, and msg is
// livekit-sip's text behind "twirp error unknown: " (sip-error.ts), except for the ring timeout,
// which livekit/sip reports as a bare `canceled` "twirp error unknown: sip request timed out"
// with no meta. The room is created before the dial and kept, empty, when it fails.
// Checked against the real stack (test/livekit/real-call.test.ts): 0001, 0486, 0603, 0404, 0480,
// 0408 and their exact msg/meta; the other rows follow the same source rules, unverified live.
//
// | suffix | answer                                   | Twirp code (HTTP)         |
// |--------|------------------------------------------|---------------------------|
// | 0001   | answered                                 | 200                       |
// | 0486   | 486 Busy Here                            | resource_exhausted (429)  |
// | 0600   | 600 Busy Everywhere                      | resource_exhausted (429)  |
// | 0480   | 480 Temporarily Unavailable              | resource_exhausted (429)  |
// | 0603   | 603 Decline                              | permission_denied (403)   |
// | 0403   | 403 Forbidden                            | permission_denied (403)   |
// | 0404   | 404 Not Found                            | not_found (404)           |
// | 0410   | 410 Gone                                 | not_found (404)           |
// | 0604   | 604 Does Not Exist Anywhere              | not_found (404)           |
// | 0484   | 484 Address Incomplete                   | invalid_argument (400)    |
// | 1408   | 408 Request Timeout (from the far end)   | deadline_exceeded (408)   |
// | 0487   | 487 Request Terminated                   | aborted (409)             |
// | 0408   | ring timeout: "sip request timed out"    | canceled (408), no meta   |
// | 0500   | 500 Server Internal Error                | failed_precondition (412) |
// | 0503   | 503 Service Unavailable                  | failed_precondition (412) |
// | other  | answered                                 | 200                       |
import type { TwirpCode } from './twirp.js';

export type DialAnswer =
  | { kind: 'answer' }
  | { kind: 'sip_error'; sipStatusCode: number; sipStatus: string; code: TwirpCode }
  | { kind: 'ring_timeout' };

const sipError = (sipStatusCode: number, sipStatus: string, code: TwirpCode): DialAnswer => ({
  kind: 'sip_error',
  sipStatusCode,
  sipStatus,
  code,
});

export const dialTable: Readonly<Record<string, DialAnswer>> = {
  '0001': { kind: 'answer' },
  '0486': sipError(486, 'Busy Here', 'resource_exhausted'),
  '0600': sipError(600, 'Busy Everywhere', 'resource_exhausted'),
  '0480': sipError(480, 'Temporarily Unavailable', 'resource_exhausted'),
  '0603': sipError(603, 'Decline', 'permission_denied'),
  '0403': sipError(403, 'Forbidden', 'permission_denied'),
  '0404': sipError(404, 'Not Found', 'not_found'),
  '0410': sipError(410, 'Gone', 'not_found'),
  '0604': sipError(604, 'Does Not Exist Anywhere', 'not_found'),
  '0484': sipError(484, 'Address Incomplete', 'invalid_argument'),
  '1408': sipError(408, 'Request Timeout', 'deadline_exceeded'),
  '0487': sipError(487, 'Request Terminated', 'aborted'),
  '0408': { kind: 'ring_timeout' },
  '0500': sipError(500, 'Server Internal Error', 'failed_precondition'),
  '0503': sipError(503, 'Service Unavailable', 'failed_precondition'),
};

/** Test numbers: `dialNumber('0486')` → `+1202555` + `0486`, a US number the table answers busy. */
export function dialNumber(suffix: string): string {
  return `+1202555${suffix}`;
}

export function dialAnswerFor(number: string, overrides: ReadonlyMap<string, DialAnswer>): DialAnswer {
  return overrides.get(number) ?? dialTable[number.slice(-4)] ?? { kind: 'answer' };
}
