// The campaign body (contract in DESIGN.md): validated once at the API edge, stored whole as
// jsonb with defaults filled in, and read back through the same schema by every role.
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { isDuration } from './duration.js';
import { templateVariables } from './template.js';

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected "HH:MM" (00:00–24:00)');
export const timeRangeSchema = z
  .tuple([clock, clock])
  .refine(([a, b]) => a < b, { message: 'range must end after it starts' });
export type TimeRange = z.infer<typeof timeRangeSchema>;

export const ianaZone = z.string().refine((z) => IANAZone.isValidZone(z), { message: 'unknown IANA time zone' });

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'invalid date');

const weeklySchema = z
  .object(Object.fromEntries(weekdays.map((d) => [d, z.array(timeRangeSchema).max(12).optional()])) as Record<
    Weekday,
    z.ZodOptional<z.ZodArray<typeof timeRangeSchema>>
  >)
  .strict();

const defaultWeekly = {
  mon: [['09:00', '20:00']],
  tue: [['09:00', '20:00']],
  wed: [['09:00', '20:00']],
  thu: [['09:00', '20:00']],
  fri: [['09:00', '20:00']],
  sat: [['10:00', '18:00']],
} satisfies Partial<Record<Weekday, TimeRange[]>>;

/** A campaign's ring timeout and longest call when its config names none (also what SQL falls back to). */
export const callLimitDefaults = { ringTimeoutSeconds: 30, maxCallSeconds: 300 } as const;

export const LEGAL_QUIET_HOURS: TimeRange = ['08:00', '21:00'];

export const scheduleSchema = z
  .object({
    timezoneFallback: ianaZone.default('America/New_York'),
    weekly: weeklySchema.default(defaultWeekly),
    quietHours: timeRangeSchema.nullable().default(LEGAL_QUIET_HOURS),
    allowQuietHours: z.boolean().default(false),
    blackoutDates: z.array(isoDate).max(366).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.allowQuietHours) return;
    if (s.quietHours === null) {
      ctx.addIssue({ code: 'custom', path: ['quietHours'], message: 'null quietHours needs "allowQuietHours": true' });
    } else if (s.quietHours[0] < LEGAL_QUIET_HOURS[0] || s.quietHours[1] > LEGAL_QUIET_HOURS[1]) {
      ctx.addIssue({
        code: 'custom',
        path: ['quietHours'],
        message: `quietHours wider than ${LEGAL_QUIET_HOURS.join('–')} needs "allowQuietHours": true`,
      });
    }
  });
export type Schedule = z.infer<typeof scheduleSchema>;

const duration = z.string().refine(isDuration, 'expected a duration such as "90s", "10m", "24h"');

export const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20).default(3),
    delays: z
      .object({
        busy: duration.default('10m'),
        no_answer: duration.default('60m'),
        voicemail: duration.default('24h'),
        failed: duration.default('5m'),
      })
      .strict()
      .default({ busy: '10m', no_answer: '60m', voicemail: '24h', failed: '5m' }),
  })
  .strict();
export type RetryPolicyConfig = z.infer<typeof retrySchema>;

export const amdSchema = z
  .object({
    enabled: z.boolean().default(true),
    onMachine: z.enum(['hangup', 'leave_voicemail']).default('hangup'),
    voicemailMessage: z.string().min(1).max(2000).nullable().default(null),
  })
  .strict();

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number such as +12025550100');

/**
 * A SIP URI for a REFER's Refer-To: scheme, optional user@, host, optional port and ;params.
 * No spaces, angle brackets, quotes or `?headers`: the value goes into a SIP header as is, so
 * anything that could close the URI or add headers (Replaces, a second Refer-To) is refused.
 */
const sipUri = z
  .string()
  .max(256)
  .regex(
    /^sips?:(?:[A-Za-z0-9\-_.!~*'()&=+$,;%]+@)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:;[A-Za-z0-9\-_.!~*'()%]+(?:=[A-Za-z0-9\-_.!~*'()%]+)?)*$/,
    'expected a SIP URI such as sip:desk@pbx.example.com',
  );

/** Where the two-way agent's transfer_call tool hands the callee (cold transfer, SIP REFER). */
export const transferSchema = z
  .object({
    to: z.union([e164, sipUri], { error: 'expected an E.164 number (+12025550100) or a SIP URI (sip:desk@pbx.example.com)' }),
    /** Said to the callee, verbatim, before the transfer; {{variables}} are filled in like the greeting. */
    announce: z.string().min(1).max(2000).nullable().default(null),
  })
  .strict();
export type TransferConfig = z.infer<typeof transferSchema>;

export const campaignInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    mode: z.enum(['one_way', 'two_way']),
    message: z.string().min(1).max(4000).nullable().default(null),
    instructions: z.string().min(1).max(20_000).nullable().default(null),
    greeting: z.string().min(1).max(2000).nullable().default(null),
    amd: amdSchema.default({ enabled: true, onMachine: 'hangup', voicemailMessage: null }),
    schedule: scheduleSchema.default(() => scheduleSchema.parse({})),
    retry: retrySchema.default(() => retrySchema.parse({})),
    recording: z.boolean().default(true),
    callerId: e164.default('+12025550100'),
    defaultRegion: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 region such as "US"').default('US'),
    trunk: z.string().min(1).max(100).default('default'),
    ringTimeoutSeconds: z.number().int().min(5).max(180).default(callLimitDefaults.ringTimeoutSeconds),
    maxCallSeconds: z.number().int().min(10).max(7200).default(callLimitDefaults.maxCallSeconds),
    outcomeSchema: z.record(z.string(), z.unknown()).nullable().default(null),
    transfer: transferSchema.nullable().default(null),
    /** Two-way voice settings; unset fields fall back to the agent's environment. */
    voice: z
      .object({
        sttModel: z.string().max(100).optional(),
        llmModel: z.string().max(100).optional(),
        ttsModel: z.string().max(100).optional(),
        ttsVoice: z.string().max(200).optional(),
        language: z.string().max(20).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'one_way' && !c.message) {
      ctx.addIssue({ code: 'custom', path: ['message'], message: 'a one_way campaign needs a message' });
    }
    if (c.mode === 'two_way' && !c.instructions) {
      ctx.addIssue({ code: 'custom', path: ['instructions'], message: 'a two_way campaign needs instructions' });
    }
    if (c.transfer && c.mode !== 'two_way') {
      // Only the two-way agent can transfer; accepting it here would promise what no call does.
      ctx.addIssue({ code: 'custom', path: ['transfer'], message: 'transfer needs a two_way campaign' });
    }
    if (c.amd.onMachine === 'leave_voicemail' && !c.amd.voicemailMessage && c.mode === 'two_way') {
      ctx.addIssue({
        code: 'custom',
        path: ['amd', 'voicemailMessage'],
        message: 'leave_voicemail on a two_way campaign needs a voicemailMessage',
      });
    }
  });

export type CampaignInput = z.input<typeof campaignInputSchema>;
export type CampaignConfig = z.infer<typeof campaignInputSchema>;

/** Template variables the campaign's texts use: each must be a column of every uploaded batch. */
export function campaignVariables(c: CampaignConfig): string[] {
  return [
    ...new Set([
      ...templateVariables(c.message),
      ...templateVariables(c.instructions),
      ...templateVariables(c.greeting),
      ...templateVariables(c.amd.voicemailMessage),
      ...templateVariables(c.transfer?.announce ?? null),
    ]),
  ];
}

/** The voicemail text: the explicit one, else (one_way) the message itself. */
export function voicemailText(c: CampaignConfig): string | null {
  return c.amd.voicemailMessage ?? (c.mode === 'one_way' ? c.message : null);
}
