import { describe, expect, it } from 'vitest';
import { campaignInputSchema, campaignVariables, voicemailText } from './campaign.js';

const base = { name: 'Rx', mode: 'one_way', message: 'Hi {{first_name}} at {{store}}' } as const;

describe('campaign schema', () => {
  it('fills the contract defaults for omitted fields', () => {
    const c = campaignInputSchema.parse(base);
    expect(c.amd).toEqual({ enabled: true, onMachine: 'hangup', voicemailMessage: null });
    expect(c.retry).toEqual({
      maxAttempts: 3,
      delays: { busy: '10m', no_answer: '60m', voicemail: '24h', failed: '5m' },
    });
    expect(c.schedule.quietHours).toEqual(['08:00', '21:00']);
    expect(c.schedule.weekly.mon).toEqual([['09:00', '20:00']]);
    expect(c.schedule.weekly.sun).toBeUndefined();
    expect(c.ringTimeoutSeconds).toBe(30);
    expect(c.maxCallSeconds).toBe(300);
  });

  it('requires a message for one_way and instructions for two_way', () => {
    expect(campaignInputSchema.safeParse({ name: 'x', mode: 'one_way' }).success).toBe(false);
    expect(campaignInputSchema.safeParse({ name: 'x', mode: 'two_way', message: 'm' }).success).toBe(false);
    expect(campaignInputSchema.safeParse({ name: 'x', mode: 'two_way', instructions: 'be nice' }).success).toBe(true);
  });

  it('refuses quiet hours wider than the legal bound without the override flag', () => {
    const wide = { ...base, schedule: { quietHours: ['07:00', '21:00'] } };
    expect(campaignInputSchema.safeParse(wide).success).toBe(false);
    expect(campaignInputSchema.safeParse({ ...base, schedule: { quietHours: null } }).success).toBe(false);
    const allowed = { ...base, schedule: { quietHours: null, allowQuietHours: true } };
    expect(campaignInputSchema.safeParse(allowed).success).toBe(true);
  });

  it('rejects unknown zones, malformed clock times, reversed ranges and bad durations', () => {
    const bad = [
      { schedule: { timezoneFallback: 'Mars/Olympus' } },
      { schedule: { weekly: { mon: [['9:00', '20:00']] } } },
      { schedule: { weekly: { mon: [['20:00', '09:00']] } } },
      { schedule: { weekly: { funday: [['09:00', '10:00']] } } },
      { schedule: { blackoutDates: ['2026-13-01'] } },
      { retry: { delays: { busy: 'soon' } } },
      { callerId: '2025550100' },
      { unknownField: 1 },
    ];
    for (const b of bad) expect(campaignInputSchema.safeParse({ ...base, ...b }).success, JSON.stringify(b)).toBe(false);
  });

  it('accepts 24:00 as the end of a day and several ranges a day', () => {
    const c = campaignInputSchema.parse({
      ...base,
      schedule: { weekly: { mon: [['08:00', '12:00'], ['13:00', '24:00']] }, quietHours: null, allowQuietHours: true },
    });
    expect(c.schedule.weekly.mon).toHaveLength(2);
  });

  it('lists the template variables of every text and picks the voicemail text', () => {
    const c = campaignInputSchema.parse({ ...base, amd: { onMachine: 'leave_voicemail' } });
    expect(campaignVariables(c)).toEqual(['first_name', 'store']);
    expect(voicemailText(c)).toBe(base.message);
  });

  describe('transfer', () => {
    const twoWay = { name: 'Desk', mode: 'two_way', instructions: 'Help them.' } as const;
    const parse = (transfer: unknown, over: Record<string, unknown> = {}) =>
      campaignInputSchema.safeParse({ ...twoWay, ...over, transfer });

    it('is off by default', () => {
      expect(campaignInputSchema.parse(twoWay).transfer).toBeNull();
    });

    it.each([
      '+12025550109',
      '+442071838750',
      'sip:desk@pbx.example.com',
      'sip:+15559990000@transfer.example',
      'sips:agent@10.0.0.5:5061;transport=tls',
      'sip:queue.example.org',
    ])('accepts %s as a target', (to) => {
      const r = parse({ to });
      expect(r.success).toBe(true);
      expect(r.data?.transfer).toEqual({ to, announce: null });
    });

    it.each([
      '2025550109',
      '+0123',
      'tel:+12025550109',
      'sip:',
      'sip:desk@',
      'sip:desk@pbx.example.com?Replaces=abc',
      '<sip:desk@pbx.example.com>',
      'sip:desk@pbx.example.com\r\nRefer-To: sip:evil@x',
      'sip:desk@pbx example.com',
      'http://pbx.example.com',
      `sip:${'a'.repeat(250)}@pbx.example.com`,
    ])('refuses %j as a target', (to) => {
      expect(parse({ to }).success).toBe(false);
    });

    it('refuses a missing target, unknown fields and an empty announcement', () => {
      expect(parse({}).success).toBe(false);
      expect(parse({ to: '+12025550109', warm: true }).success).toBe(false);
      expect(parse({ to: '+12025550109', announce: '' }).success).toBe(false);
    });

    it('is refused on a one_way campaign, which has no agent to transfer with', () => {
      const r = campaignInputSchema.safeParse({ ...base, transfer: { to: '+12025550109' } });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['transfer']);
    });

    it('counts the announcement’s variables as the campaign’s', () => {
      const c = campaignInputSchema.parse({
        ...twoWay,
        transfer: { to: '+12025550109', announce: 'One moment {{first_name}}, connecting you to {{desk}}.' },
      });
      expect(campaignVariables(c)).toEqual(['first_name', 'desk']);
    });
  });
});
