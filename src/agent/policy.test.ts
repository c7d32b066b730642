import { describe, expect, it } from 'vitest';
import { attemptOutcomes, eventTypes } from '../core/domain.js';
import { addTranscript, completedData, createCallRecord } from './call-record.js';
import type { DispatchMetadata } from '../core/dispatch-metadata.js';
import { parseDispatchMetadata } from '../core/dispatch-metadata.js';
import { choosePath, reportEnding, type CallEnding } from './policy.js';

const meta = (over: Partial<DispatchMetadata> = {}): DispatchMetadata => ({
  attemptId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  orgId: 'org',
  campaignId: 'camp',
  batchId: 'batch',
  mode: 'one_way',
  message: 'Your prescription is ready.',
  instructions: null,
  greeting: null,
  amd: { enabled: true, onMachine: 'hangup' },
  voicemailMessage: null,
  maxCallSeconds: 300,
  outcomeSchema: null,
  voice: {},
  ...over,
});

const human = { result: 'human', cause: 'silence_after_greeting', decidedAtMs: 1200 } as const;
const machine = { result: 'machine', cause: 'long_greeting', decidedAtMs: 2600 } as const;
const unsure = { result: 'uncertain', cause: 'analysis_timeout', decidedAtMs: 6000 } as const;

describe('call policy', () => {
  it('delivers a one-way message to a person, to an unsure verdict and when AMD is off', () => {
    for (const v of [human, unsure, null]) expect(choosePath(meta(), v)).toEqual({ kind: 'notify', message: 'Your prescription is ready.' });
  });

  it('starts a conversation for a two-way campaign', () => {
    const m = meta({ mode: 'two_way', message: null, instructions: 'Book it.', greeting: 'Hi Ana!' });
    expect(choosePath(m, human)).toEqual({ kind: 'converse', instructions: 'Book it.', greeting: 'Hi Ana!', contactData: null, transfer: null });
    const withData = meta({ ...m, instructions: 'Book {{first_name}}.', contactData: { first_name: 'Ana' } });
    expect(choosePath(withData, human)).toEqual({
      kind: 'converse',
      instructions: 'Book {{first_name}}.',
      greeting: 'Hi Ana!',
      contactData: { first_name: 'Ana' },
      transfer: null,
    });
    const transfer = { to: '+12025550109', announce: 'Connecting you now.' };
    expect(choosePath(meta({ ...m, transfer }), human)).toMatchObject({ kind: 'converse', transfer });
  });

  it('hangs up on a machine unless the campaign leaves a voicemail and has one to leave', () => {
    expect(choosePath(meta(), machine)).toEqual({ kind: 'machine_hangup' });
    expect(choosePath(meta({ amd: { enabled: true, onMachine: 'leave_voicemail' } }), machine)).toEqual({ kind: 'machine_hangup' });
    const vm = meta({ amd: { enabled: true, onMachine: 'leave_voicemail' }, voicemailMessage: 'Please call us back.' });
    expect(choosePath(vm, machine)).toEqual({ kind: 'leave_voicemail', message: 'Please call us back.' });
  });

  it.each<[CallEnding, string | null, string]>([
    [{ kind: 'path_done', path: 'notify' }, 'call.notification_delivered', 'completed'],
    [{ kind: 'path_done', path: 'converse' }, null, 'completed'],
    [{ kind: 'path_done', path: 'machine_hangup' }, 'call.amd_hangup', 'voicemail'],
    [{ kind: 'path_done', path: 'leave_voicemail' }, 'call.voicemail_left', 'voicemail_left'],
    [{ kind: 'user_hangup', path: 'notify' }, 'call.user_hangup', 'completed'],
    [{ kind: 'user_hangup', path: 'leave_voicemail' }, 'call.user_hangup', 'voicemail'],
    [{ kind: 'user_hangup', path: null }, 'call.user_hangup', 'completed'],
    [{ kind: 'max_duration', path: 'converse' }, null, 'completed'],
    [{ kind: 'error', message: 'stt down' }, 'call.error', 'failed'],
    // call.transferred went out when the transfer succeeded; only the outcome is left to report.
    [{ kind: 'transferred' }, null, 'transferred'],
  ])('reports %j as event %s with outcome %s', (ending, event, outcome) => {
    const report = reportEnding(ending);
    expect(report.event).toBe(event);
    expect(report.outcome).toBe(outcome);
    if (report.event) expect(eventTypes).toContain(report.event);
    expect(attemptOutcomes).toContain(report.outcome);
  });

  it('never reports an unknown path kind silently', () => {
    const bogus = { kind: 'path_done', path: 'sing' } as unknown as CallEnding;
    expect(() => reportEnding(bogus)).toThrow(/unhandled call path/);
  });
});

describe('call record', () => {
  it('builds call.completed data with durations from the answer and transcript times', () => {
    const record = createCallRecord(new Date('2026-01-01T10:00:00Z'));
    record.answeredAt = new Date('2026-01-01T10:00:05Z');
    record.amd = human;
    addTranscript(record, 'callee', ' Hello? ', new Date('2026-01-01T10:00:06Z'));
    addTranscript(record, 'agent', '', new Date('2026-01-01T10:00:07Z'));
    addTranscript(record, 'agent', 'Hi, this is the pharmacy.', new Date('2026-01-01T10:00:07.500Z'));
    const data = completedData(record, reportEnding({ kind: 'path_done', path: 'notify' }), new Date('2026-01-01T10:00:35Z'));
    expect(data).toMatchObject({
      outcome: 'completed',
      durationMs: 30_000,
      answeredAt: '2026-01-01T10:00:05.000Z',
      amd: human,
      reason: 'message_delivered',
      transcript: [
        { role: 'callee', text: 'Hello?', atMs: 1000 },
        { role: 'agent', text: 'Hi, this is the pharmacy.', atMs: 2500 },
      ],
    });
  });

  it('reports zero duration for a call that was never answered', () => {
    const record = createCallRecord(new Date());
    expect(completedData(record, reportEnding({ kind: 'error', message: 'no callee' }), new Date()).durationMs).toBe(0);
  });
});

describe('dispatch metadata', () => {
  it('parses what the dialer sends and names what is wrong otherwise', () => {
    const m = meta();
    expect(parseDispatchMetadata(JSON.stringify(m))).toEqual(m);
    expect(() => parseDispatchMetadata('{')).toThrow(/not JSON/);
    expect(() => parseDispatchMetadata(JSON.stringify({ ...m, mode: 'three_way' }))).toThrow(/mode/);
  });
});
