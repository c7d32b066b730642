import { describe, expect, it } from 'vitest';
import { callDeadlineMs, callMarginMs } from './call-deadline.js';

describe('the call deadline', () => {
  const base = { OUTDIAL_LEASE_MARGIN_SECONDS: 60, OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS: 45 };

  it('is ring timeout + longest call + the margin', () => {
    expect(callDeadlineMs({ ringTimeoutSeconds: 30, maxCallSeconds: 300 }, 60_000)).toBe(390_000);
  });

  it('on the Sim, the margin is the lease margin', () => {
    expect(callMarginMs({ ...base, OUTDIAL_TELEPHONY: 'sim' })).toBe(60_000);
  });

  it('on LiveKit, the margin also covers the wait for the agent to join before dialling', () => {
    expect(callMarginMs({ ...base, OUTDIAL_TELEPHONY: 'livekit' })).toBe(105_000);
  });
});
