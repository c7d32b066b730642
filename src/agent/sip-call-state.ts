// Where the phone call stands, from the callee participant's attributes. livekit-sip puts the
// callee in the room as soon as it starts dialling and moves `sip.callStatus` through
// dialing → ringing → active (answered) → hangup; the agent must not take ringing for an answer
// (AMD would time the ring as silence). Pure.

/** livekit-sip's participant attribute (protocol livekit/attrs.go). */
export const SIP_CALL_STATUS = 'sip.callStatus';

export type SipCallState = 'ringing' | 'answered' | 'ended';

/** Without the attribute (a SIP service that does not set it), joining the room was the answer. */
export function sipCallState(attributes: Readonly<Record<string, string>>): SipCallState {
  const status = attributes[SIP_CALL_STATUS];
  if (status === undefined || status === 'active') return 'answered';
  if (status === 'hangup') return 'ended';
  return 'ringing'; // dialing, ringing, automation (DTMF being sent)
}
