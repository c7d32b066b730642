// What the agent learns during one call, gathered in one place and turned into the
// call.completed data the sinks read (core's callCompletedDataSchema). Pure: the caller
// supplies every timestamp.
import { callCompletedDataSchema, type CallCompletedData } from '../core/event-data.js';
import type { AmdVerdict } from './amd/types.js';
import type { EndingReport } from './policy.js';

export interface TranscriptItem {
  role: 'agent' | 'callee';
  text: string;
  /** Milliseconds since the call was answered (or since the agent joined, before an answer). */
  atMs: number;
}

export interface CallRecord {
  readonly joinedAt: Date;
  answeredAt: Date | null;
  amd: AmdVerdict | null;
  transcript: TranscriptItem[];
  outcomeData: Record<string, unknown> | null;
  callbackAt: string | null;
  optOut: boolean;
  /** Set once transfer_call handed the callee over (the campaign's transfer target). */
  transferredTo: string | null;
  /**
   * Settles when a transfer under way has succeeded or failed. The callee's leg ends as the
   * transfer completes, often before its result reaches the agent: the call flow waits for this
   * before it calls a departure a hang-up. Not part of call.completed.
   */
  transferInFlight: Promise<void> | null;
}

export function createCallRecord(joinedAt: Date): CallRecord {
  return {
    joinedAt,
    answeredAt: null,
    amd: null,
    transcript: [],
    outcomeData: null,
    callbackAt: null,
    optOut: false,
    transferredTo: null,
    transferInFlight: null,
  };
}

export function addTranscript(record: CallRecord, role: TranscriptItem['role'], text: string, at: Date): void {
  const trimmed = text.trim();
  if (trimmed === '') return;
  const origin = record.answeredAt ?? record.joinedAt;
  record.transcript.push({ role, text: trimmed, atMs: Math.max(0, at.getTime() - origin.getTime()) });
}

export function completedData(record: CallRecord, report: EndingReport, endedAt: Date): CallCompletedData {
  const durationMs = record.answeredAt ? Math.max(0, endedAt.getTime() - record.answeredAt.getTime()) : 0;
  return callCompletedDataSchema.parse({
    outcome: report.outcome,
    durationMs,
    answeredAt: record.answeredAt?.toISOString() ?? null,
    amd: record.amd,
    transcript: record.transcript,
    outcomeData: record.outcomeData,
    callbackAt: record.callbackAt,
    optOut: record.optOut,
    transferredTo: record.transferredTo,
    reason: report.reason,
  });
}
