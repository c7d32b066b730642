// One answered call from the agent's side, over a port that hides LiveKit: listen until AMD
// decides (saying nothing before), follow the policy's path, and always finish with
// call.completed. Every way out (done, callee gone, max duration, error) ends up in
// reportEnding, so the events and the outcome cannot disagree.
import type { EventType } from '../core/domain.js';
import { createAmdDetector } from './amd/detector.js';
import type { AmdVerdict } from './amd/types.js';
import { createVoicemailCue } from './amd/voicemail-cue.js';
import { completedData, createCallRecord, type CallRecord } from './call-record.js';
import type { DispatchMetadata } from '../core/dispatch-metadata.js';
import { choosePath, reportEnding, type CallEnding, type CallPath } from './policy.js';

export interface CallPort {
  /** The callee's audio, mono Int16 frames at sampleRate; ends when their track goes. */
  audio: AsyncIterator<Int16Array>;
  sampleRate: number;
  /** Speaks text without interruptions; resolves once it has played out. */
  say(text: string): Promise<void>;
  /**
   * Runs the two-way session until end_call/opt_out has played out or a transfer_call succeeded
   * ('ended'; record.transferredTo tells a transfer apart), or the callee leaves.
   */
  converse(path: Extract<CallPath, { kind: 'converse' }>, record: CallRecord): Promise<'ended' | 'user_hangup'>;
  emit(type: EventType, data: Record<string, unknown>): Promise<void>;
  /** Settles when the callee hangs up. */
  calleeGone: Promise<void>;
  /** Settles when the campaign's maxCallSeconds is up. */
  deadline: Promise<void>;
  now(): Date;
  onAmdVerdict?(verdict: AmdVerdict): void;
}

type Race<T> = { kind: 'value'; value: T } | { kind: 'user_hangup' } | { kind: 'max_duration' };

function race<T>(port: CallPort, work: Promise<T>): Promise<Race<T>> {
  return Promise.race([
    work.then((value) => ({ kind: 'value' as const, value })),
    port.calleeGone.then(() => ({ kind: 'user_hangup' as const })),
    port.deadline.then(() => ({ kind: 'max_duration' as const })),
  ]);
}

/** Listens until a verdict; null when the audio ended first (the callee left). */
async function detect(port: CallPort): Promise<AmdVerdict | null> {
  const detector = createAmdDetector({ sampleRate: port.sampleRate });
  for (;;) {
    const next = await port.audio.next();
    if (next.done) return null;
    const verdict = detector.push(next.value);
    if (verdict) return verdict;
  }
}

async function awaitVoicemailCue(port: CallPort, beepAtMs: number | null): Promise<void> {
  const cue = createVoicemailCue({ sampleRate: port.sampleRate, beepAtMs });
  for (;;) {
    const next = await port.audio.next();
    if (next.done || cue.push(next.value)) return;
  }
}

async function followPath(port: CallPort, path: CallPath, record: CallRecord): Promise<CallEnding> {
  const ended = (r: Race<unknown>): CallEnding =>
    r.kind === 'value' ? { kind: 'path_done', path: path.kind } : { kind: r.kind, path: path.kind };
  switch (path.kind) {
    case 'notify':
      return ended(await race(port, port.say(path.message)));
    case 'converse': {
      await port.emit('call.conversation_started', { amd: record.amd });
      const r = await race(port, port.converse(path, record));
      // A completed transfer ends the callee's leg, which can reach us before the transfer's own
      // result: wait for the result before calling the departure a hang-up.
      if (record.transferInFlight) await record.transferInFlight;
      if (record.transferredTo !== null) return { kind: 'transferred' };
      return r.kind === 'value' && r.value === 'user_hangup' ? { kind: 'user_hangup', path: 'converse' } : ended(r);
    }
    case 'machine_hangup':
      return { kind: 'path_done', path: 'machine_hangup' };
    case 'leave_voicemail': {
      const waited = await race(port, awaitVoicemailCue(port, record.amd?.beepAtMs ?? null));
      if (waited.kind !== 'value') return ended(waited);
      return ended(await race(port, port.say(path.message)));
    }
  }
}

async function runPhases(port: CallPort, meta: DispatchMetadata, record: CallRecord): Promise<CallEnding> {
  let verdict: AmdVerdict | null = null;
  if (meta.amd.enabled) {
    const r = await race(port, detect(port));
    if (r.kind !== 'value') return { kind: r.kind, path: null };
    if (r.value === null) return { kind: 'user_hangup', path: null };
    verdict = r.value;
    record.amd = verdict;
    port.onAmdVerdict?.(verdict);
    await port.emit('call.amd_result', { amd: verdict });
  }
  return followPath(port, choosePath(meta, verdict), record);
}

/** Runs the call and emits its closing events; returns the record for logging. */
export async function runCall(
  port: CallPort,
  meta: DispatchMetadata,
  record: CallRecord = createCallRecord(port.now()),
): Promise<{ record: CallRecord; ending: CallEnding }> {
  record.answeredAt ??= port.now();
  let ending: CallEnding;
  try {
    ending = await runPhases(port, meta, record);
  } catch (err) {
    ending = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  const report = reportEnding(ending);
  if (report.event) await port.emit(report.event, { reason: report.reason, amd: record.amd });
  await port.emit('call.completed', completedData(record, report, port.now()));
  return { record, ending };
}
