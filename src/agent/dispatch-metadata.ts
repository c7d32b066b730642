// The agent's brief, read from the dispatch metadata (ctx.job.metadata) that the dialer writes.
// Templates are already filled in by the dialer, so the agent never sees the contact row. The
// shape mirrors the dialer's AgentDispatchMetadata; both should move into src/core.
import { z } from 'zod';

export const dispatchMetadataSchema = z.object({
  attemptId: z.uuid(),
  orgId: z.string().min(1),
  campaignId: z.string().min(1),
  batchId: z.string().min(1),
  mode: z.enum(['one_way', 'two_way']),
  message: z.string().nullable(),
  instructions: z.string().nullable(),
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
  schedule: z.unknown().optional(),
});

export type DispatchMetadata = z.infer<typeof dispatchMetadataSchema>;

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
