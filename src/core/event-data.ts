// The `data` of the call events that carry results, shared by their producers (dialer, Sim,
// agent, scheduler) and their consumer (sinks). Producers build it with these schemas; sinks parse
// it with them. Naming: `data.outcome` is always the attempt outcome (the contract's outcome
// vocabulary); what the two-way agent's record_outcome tool fills is `data.outcomeData`.
import { z } from 'zod';
import { attemptOutcomes } from './domain.js';

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

export const callFailedDataSchema = z.object({
  outcome: z.enum(callFailedOutcomes),
  sipStatus: z.number().int().nullable(),
  reason: z.string(),
});
export type CallFailedData = z.infer<typeof callFailedDataSchema>;

export const callAnsweredDataSchema = z.object({
  sipCallId: z.string().optional(),
  roomName: z.string().optional(),
});

export const transcriptItemSchema = z.object({
  role: z.enum(['agent', 'callee']),
  text: z.string(),
  atMs: z.number().nonnegative(),
});

export const callCompletedDataSchema = z.object({
  outcome: z.enum(attemptOutcomes),
  /** From answer to hang-up; 0 when never answered. */
  durationMs: z.number().int().nonnegative(),
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
});
export type CallCompletedData = z.infer<typeof callCompletedDataSchema>;

/** call.transferred: the callee was handed over (SIP REFER accepted and completed) to `to`. */
export const callTransferredDataSchema = z.object({
  to: z.string(),
  /** The SIP status the transfer ended with, when the provider reports one. */
  sipStatus: z.number().int().optional(),
});
export type CallTransferredData = z.infer<typeof callTransferredDataSchema>;

/** call.transfer_failed: the hand-over did not happen; the conversation goes on. */
export const callTransferFailedDataSchema = z.object({
  to: z.string(),
  /** The far end's SIP answer to the REFER (or its final NOTIFY); null when none came (timeout, no call). */
  sipStatus: z.number().int().nullable(),
  reason: z.string(),
});
export type CallTransferFailedData = z.infer<typeof callTransferFailedDataSchema>;

export const recordingReadyDataSchema = z.object({
  location: z.string(),
  durationMs: z.number().int().nonnegative(),
  sizeBytes: z.number().int().nonnegative(),
});
