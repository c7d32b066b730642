import { describe, expect, it } from 'vitest';
import { sipCallState } from './sip-call-state.js';

describe('the callee participant’s call state', () => {
  it('is answered only once livekit-sip says active (it joins the room while still dialling)', () => {
    expect(sipCallState({ 'sip.callStatus': 'dialing' })).toBe('ringing');
    expect(sipCallState({ 'sip.callStatus': 'ringing' })).toBe('ringing');
    expect(sipCallState({ 'sip.callStatus': 'automation' })).toBe('ringing');
    expect(sipCallState({ 'sip.callStatus': 'active', 'sip.callID': 'SCL_1' })).toBe('answered');
    expect(sipCallState({ 'sip.callStatus': 'hangup' })).toBe('ended');
  });

  it('takes a callee without the attribute as answered, as before it existed', () => {
    expect(sipCallState({})).toBe('answered');
  });
});
