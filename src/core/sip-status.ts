// The SIP status a LiveKit SIP request failed with, read from livekit-server-sdk's errors in one
// place: the dialer maps it to a dial outcome, the agent reports it on a failed transfer.
// SDKs from 2.17 throw a SipCallError; older ones a plain ServerError with the same metadata
// (`sip_status_code` as a string, `sip_status` the reason phrase), so the metadata is what is read.
import { ServerError } from 'livekit-server-sdk';

export interface SipStatus {
  code: number;
  reason: string;
}

export function sipStatusOf(err: unknown): SipStatus | null {
  if (!(err instanceof ServerError)) return null;
  const code = Number(err.metadata?.sip_status_code);
  return Number.isInteger(code) && code > 0 ? { code, reason: err.metadata?.sip_status ?? '' } : null;
}
