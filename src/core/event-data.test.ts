import { describe, expect, it } from 'vitest';
import { eventTypes } from './domain.js';
import { newCallEvent } from './events.js';
import { callEventJobSchema } from './queues.js';

const attemptId = '4a0e1c8e-2d5b-4c4f-9d7e-1f2a3b4c5d6e';
const parse = (type: (typeof eventTypes)[number], data: Record<string, unknown>) =>
  callEventJobSchema.safeParse(newCallEvent(type, attemptId, data));

describe('the event union', () => {
  it('has one member for every event type', () => {
    expect(callEventJobSchema.options.map((o) => o.shape.type.value).sort()).toEqual([...eventTypes].sort());
  });

  it('rejects a type it does not know', () => {
    expect(callEventJobSchema.safeParse({ ...newCallEvent('call.answered', attemptId), type: 'call.exploded' }).success).toBe(false);
  });

  it('takes the dial failure outcome from call.failed, and cancelled, but never a success', () => {
    for (const outcome of ['busy', 'invalid_number', 'cancelled'])
      expect(parse('call.failed', { outcome, sipStatus: null, reason: 'x' }).success).toBe(true);
    expect(parse('call.failed', { outcome: 'completed', sipStatus: null, reason: 'x' }).success).toBe(false);
  });

  it('rejects a finishing event with a missing or unknown outcome instead of guessing one', () => {
    expect(parse('call.completed', {}).success).toBe(false);
    expect(parse('call.completed', { outcome: 'great' }).success).toBe(false);
    expect(parse('call.completed', { outcome: 'voicemail_left' }).success).toBe(true);
  });

  it('rejects an AMD result without its verdict, and a recording without its location', () => {
    expect(parse('call.amd_result', { result: 'human' }).success).toBe(false);
    expect(parse('call.amd_result', { amd: { result: 'human', cause: 'greeting', decidedAtMs: 900 } }).success).toBe(true);
    expect(parse('call.recording_ready', { durationMs: 1, sizeBytes: 1 }).success).toBe(false);
  });

  it('keeps fields a producer adds beyond its schema (they reach the webhook as sent)', () => {
    const r = parse('call.dialing', { roomName: 'call-x', attempt: 1, telephony: 'sim' });
    expect(r.success && r.data.data).toEqual({ roomName: 'call-x', attempt: 1, telephony: 'sim' });
  });
});
