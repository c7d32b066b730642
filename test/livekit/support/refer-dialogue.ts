// Expectations shared by the real-stack tests (kept out of switchboard.ts, which the LiveKit demo
// loads outside the test runner).
import { expect } from 'vitest';

/**
 * The transfer phone's SIP dialogue from livekit-sip's REFER on, as it goes on the wire: 202, the
 * NOTIFYs of 100 Trying and 200 OK (livekit-sip's reason phrase for a NOTIFY it accepted is
 * "success"), then the phone's BYE to the transferor.
 */
export const ACCEPTED_REFER_LINES = [
  expect.stringMatching(/^REFER sip:/),
  'SIP/2.0 202 Accepted',
  expect.stringMatching(/^NOTIFY sip:/),
  'SIP/2.0 200 success',
  expect.stringMatching(/^NOTIFY sip:/),
  'SIP/2.0 200 success',
  expect.stringMatching(/^BYE sip:/),
  'SIP/2.0 200 OK',
] as const;
