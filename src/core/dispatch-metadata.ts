// The agent's brief: the dispatch metadata (ctx.job.metadata) the dialer writes and the agent
// reads. Spoken texts are already filled in by the dialer; the instructions' variables travel
// apart, as data. The agent never sees the rest of the contact row.
import { z } from 'zod';
import { scheduleSchema } from './campaign.js';

export const dispatchMetadataSchema = z.object({
  attemptId: z.uuid(),
  orgId: z.string().min(1),
  campaignId: z.string().min(1),
  batchId: z.string().min(1),
  mode: z.enum(['one_way', 'two_way']),
  message: z.string().nullable(),
  /**
   * The two-way agent's instructions. With contactData they are the campaign's template, its
   * {{placeholders}} unfilled; without (a dialer from before contactData) they come filled in.
   */
  instructions: z.string().nullable(),
  /**
   * The contact's values for the instructions' placeholders, sent apart so the agent can hand
   * them to its model as data, never as instructions (a contact list is not trusted to steer it).
   */
  contactData: z.record(z.string(), z.string()).optional(),
  greeting: z.string().nullable(),
  amd: z.object({ enabled: z.boolean(), onMachine: z.enum(['hangup', 'leave_voicemail']) }),
  voicemailMessage: z.string().nullable(),
  maxCallSeconds: z.number().int().positive(),
  outcomeSchema: z.record(z.string(), z.unknown()).nullable(),
  voice: z
    .object({
      sttModel: z.string().optional(),
      llmModel: z.string().optional(),
      ttsModel: z.string().optional(),
      ttsVoice: z.string().optional(),
      language: z.string().optional(),
    })
    .default({}),
  /**
   * The contact's time zones and the campaign's schedule, when the dialer sends them: with them
   * schedule_callback can refuse a time outside the calling window while the callee is listening.
   */
  timezones: z.array(z.string()).optional(),
  schedule: scheduleSchema.optional(),
  /**
   * Two-way only: where transfer_call hands the callee (E.164 or SIP URI, validated with the
   * campaign) and the announcement said first, filled in. Absent or null: no transfer tool.
   */
  transfer: z.object({ to: z.string().min(1), announce: z.string().nullable() }).nullable().optional(),
});

export type DispatchMetadata = z.infer<typeof dispatchMetadataSchema>;
/** What the dialer writes (the schema's input: optional fields may be left out). */
export type AgentDispatchMetadata = z.input<typeof dispatchMetadataSchema>;

export class DispatchMetadataError extends Error {
  override readonly name = 'DispatchMetadataError';
}

export function parseDispatchMetadata(raw: string): DispatchMetadata {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new DispatchMetadataError(`dispatch metadata is not JSON: ${(err as Error).message}`);
  }
  const parsed = dispatchMetadataSchema.safeParse(json);
  if (!parsed.success) {
    throw new DispatchMetadataError(
      `invalid dispatch metadata: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
