// The `data` of every event type, one schema each, shared by the producers (api, scheduler,
// dialer, Sim, agent, sinks) and the consumer (sinks): core/queues.ts joins them into the one
// event union that every emit and the call-events worker parse with. Each is loose: a producer
// may add fields (they reach the webhook as they are), but a field named here must be right.
// Naming: `data.outcome` is always the attempt outcome (the contract's outcome vocabulary);
// what the two-way agent's record_outcome tool fills is `data.outcomeData`.
import { z } from 'zod';
import { attemptOutcomes, type EventType } from './domain.js';

export const amdVerdictSchema = z.object({
  result: z.enum(['human', 'machine', 'uncertain']),
  cause: z.string(),
  decidedAtMs: z.number().nonnegative(),
  beepAtMs: z.number().nonnegative().optional(),
});

/** Outcomes a failed dial can have (SIP mapping in the dialer; `failed` also for stuck attempts). */
export const dialFailureOutcomes = ['busy', 'no_answer', 'rejected', 'invalid_number', 'failed'] as const;

export type DialFailureOutcome = (typeof dialFailureOutcomes)[number];

/** Outcomes `call.failed` carries: a dial failure, or `cancelled` (a queued attempt of a cancelled batch, finished by the dialer without dialling). */
export const callFailedOutcomes = [...dialFailureOutcomes, 'cancelled'] as const;

export const callFailedDataSchema = z.looseObject({
  outcome: z.enum(callFailedOutcomes),
  sipStatus: z.number().int().nullable(),
  reason: z.string(),
  /** Rarely known for a failure; clamped to the column when stored. */
  durationMs: z.number().nonnegative().optional(),
});
export type CallFailedData = z.infer<typeof callFailedDataSchema>;

export const callAnsweredDataSchema = z.looseObject({
  sipCallId: z.string().optional(),
  roomName: z.string().optional(),
});

export const transcriptItemSchema = z.object({
  role: z.enum(['agent', 'callee']),
  text: z.string(),
  atMs: z.number().nonnegative(),
});

export const callCompletedDataSchema = z.looseObject({
  outcome: z.enum(attemptOutcomes),
  /** From answer to hang-up; 0 when never answered. Absent: the sinks count it from the answer. */
  durationMs: z.number().int().nonnegative().optional(),
  answeredAt: z.iso.datetime({ offset: true }).nullable().optional(),
  amd: amdVerdictSchema.nullable().optional(),
  transcript: z.array(transcriptItemSchema).optional(),
  /** Structured result of the two-way record_outcome tool, shaped by the campaign's outcomeSchema. */
  outcomeData: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Callee asked to be called back at this instant (schedule_callback tool). */
  callbackAt: z.iso.datetime({ offset: true }).nullable().optional(),
  /** Callee asked not to be called again (opt_out tool): sinks add the number to the org's DNC list. */
  optOut: z.boolean().optional(),
  /** Where the transfer_call tool handed the callee (outcome `transferred`). */
  transferredTo: z.string().nullable().optional(),
  reason: z.string().optional(),
  /** Sinks-internal (LiveKit close webhooks): closes the attempt only if nothing else did first. */
  closeIfOpen: z.literal(true).optional(),
});
export type CallCompletedData = z.infer<typeof callCompletedDataSchema>;

/** call.transferred: the callee was handed over (SIP REFER accepted and completed) to `to`. */
export const callTransferredDataSchema = z.looseObject({
  to: z.string(),
  /** The SIP status the transfer ended with, when the provider reports one. */
  sipStatus: z.number().int().optional(),
});
export type CallTransferredData = z.infer<typeof callTransferredDataSchema>;

/** call.transfer_failed: the hand-over did not happen; the conversation goes on. */
export const callTransferFailedDataSchema = z.looseObject({
  to: z.string(),
  /** The far end's SIP answer to the REFER (or its final NOTIFY); null when none came (timeout, no call). */
  sipStatus: z.number().int().nullable(),
  reason: z.string(),
});
export type CallTransferFailedData = z.infer<typeof callTransferFailedDataSchema>;

export const recordingReadyDataSchema = z.looseObject({
  location: z.string(),
  durationMs: z.number().int().nonnegative(),
  sizeBytes: z.number().int().nonnegative(),
});

/** call.amd_result: the detector's verdict. */
export const amdResultDataSchema = z.looseObject({ amd: amdVerdictSchema });

/** What the agent reports between answer and end (the verdict it acted on, why the call ends). */
const callProgressDataSchema = z.looseObject({
  amd: amdVerdictSchema.nullable().optional(),
  reason: z.string().optional(),
});

const anyData = z.looseObject({});

/** The one schema of each event type's `data`. */
export const eventDataSchemas = {
  'batch.started': anyData,
  'batch.paused': z.looseObject({
    reason: z.string().optional(),
    failed: z.number().int().nonnegative().optional(),
    total: z.number().int().nonnegative().optional(),
  }),
  'batch.resumed': anyData,
  'batch.completed': anyData,
  'batch.cancelled': anyData,
  'call.queued': z.looseObject({ attempt: z.number().int().positive().optional() }),
  'call.dialing': z.looseObject({ roomName: z.string().optional(), attempt: z.number().int().positive().optional() }),
  'call.answered': callAnsweredDataSchema,
  'call.failed': callFailedDataSchema,
  'call.amd_result': amdResultDataSchema,
  'call.conversation_started': callProgressDataSchema,
  'call.notification_delivered': callProgressDataSchema,
  'call.voicemail_left': callProgressDataSchema,
  'call.amd_hangup': callProgressDataSchema,
  'call.user_hangup': callProgressDataSchema,
  'call.transferred': callTransferredDataSchema,
  'call.transfer_failed': callTransferFailedDataSchema,
  'call.error': z.looseObject({ stage: z.string().optional(), message: z.string().optional() }),
  'call.completed': callCompletedDataSchema,
  'call.recording_ready': recordingReadyDataSchema,
  'contact.retry_scheduled': anyData,
  'contact.finished': anyData,
} as const satisfies Record<EventType, z.ZodType>;
