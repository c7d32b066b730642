// A failed dial exactly as the real stack (livekit-server v1.13.5 + livekit-sip v1.8.0) answers
// it, captured from raw Twirp responses in test/livekit/real-call.test.ts's setup:
//   {"code":"resource_exhausted",
//    "msg":"twirp error unknown: INVITE failed: sip status: 486: Busy Here",
//    "meta":{"error_details":"CAgS…","sip_status":"Busy Here","sip_status_code":"486"}}
// livekit-sip words the error "INVITE failed: …" for 400, 404, 480, 486 and 488 and
// "unexpected status from INVITE response: …" for every other status (pkg/sip/outbound.go);
// livekit-server prefixes "twirp error unknown: ". error_details is base64 of a google.rpc.Status
// {code: the gRPC code, message: the unprefixed text, details: [Any{livekit.SIPStatus{code, status}}]}.
import type { TwirpCode } from './twirp.js';

const INVITE_FAILED = new Set([400, 404, 480, 486, 488]);
export const TWIRP_UNKNOWN_PREFIX = 'twirp error unknown: ';

/** gRPC status numbers; Twirp's codes are gRPC's names in snake case. */
const GRPC_CODE: Readonly<Record<TwirpCode, number>> = {
  canceled: 1,
  unknown: 2,
  invalid_argument: 3,
  malformed: 3,
  deadline_exceeded: 4,
  not_found: 5,
  bad_route: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  dataloss: 15,
  unauthenticated: 16,
};

/** livekit-sip's own text for a final response to its INVITE. */
export function inviteErrorText(sipStatusCode: number, sipStatus: string): string {
  const lead = INVITE_FAILED.has(sipStatusCode) ? 'INVITE failed' : 'unexpected status from INVITE response';
  return `${lead}: sip status: ${sipStatusCode}: ${sipStatus}`;
}

/** base64 google.rpc.Status carrying a livekit.SIPStatus, as in the real `error_details`. */
export function sipErrorDetails(
  code: TwirpCode,
  sipStatusCode: number,
  sipStatus: string,
  message: string = inviteErrorText(sipStatusCode, sipStatus),
): string {
  const sipStatusMsg = Buffer.concat([varintField(1, sipStatusCode), bytesField(2, Buffer.from(sipStatus))]);
  const any = Buffer.concat([
    bytesField(1, Buffer.from('type.googleapis.com/livekit.SIPStatus')),
    bytesField(2, sipStatusMsg),
  ]);
  const status = Buffer.concat([
    varintField(1, GRPC_CODE[code]),
    bytesField(2, Buffer.from(message)),
    bytesField(3, any),
  ]);
  return status.toString('base64');
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

function bytesField(field: number, value: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(value.length), value]);
}
