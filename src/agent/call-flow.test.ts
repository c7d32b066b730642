import { describe, expect, it } from 'vitest';
import type { EventType } from '../core/domain.js';
import { callCompletedDataSchema } from '../core/event-data.js';
import { concat, seededRandom, silence, toInt16, tone, utterance } from './amd/testing/signals.js';
import { runCall, type CallPort } from './call-flow.js';
import type { DispatchMetadata } from '../core/dispatch-metadata.js';

const RATE = 8000;

const meta = (over: Partial<DispatchMetadata> = {}): DispatchMetadata => ({
  attemptId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  orgId: 'org',
  campaignId: 'camp',
  batchId: 'batch',
  mode: 'one_way',
  message: 'Your prescription is ready.',
  instructions: 'Confirm the appointment.',
  greeting: 'Hi!',
  amd: { enabled: true, onMachine: 'hangup' },
  voicemailMessage: null,
  maxCallSeconds: 300,
  outcomeSchema: null,
  voice: {},
  ...over,
});

function frames(samples: Int16Array): AsyncIterator<Int16Array> {
  let at = 0;
  return {
    next: () => {
      if (at >= samples.length) return Promise.resolve({ done: true, value: undefined });
      at += RATE / 50;
      return Promise.resolve({ done: false, value: samples.subarray(at - RATE / 50, at) });
    },
  };
}

const never = new Promise<void>(() => undefined);
const humanAudio = (): Int16Array =>
  toInt16(concat([silence(500, RATE), utterance(2, -16, RATE, seededRandom(1)), silence(3000, RATE)]));
const machineAudio = (beep: boolean): Int16Array => {
  const rand = seededRandom(2);
  const greeting = Array.from({ length: 3 }, () => [utterance(10, -16, RATE, rand), silence(300, RATE)]).flat();
  return toInt16(concat([silence(300, RATE), ...greeting, ...(beep ? [tone(1000, 400, -12, RATE)] : []), silence(4000, RATE)]));
};

function fakePort(audio: Int16Array, over: Partial<CallPort> = {}) {
  const events: Array<{ type: EventType; data: Record<string, unknown> }> = [];
  const said: string[] = [];
  let clock = Date.parse('2026-01-01T10:00:00Z');
  const port: CallPort = {
    audio: frames(audio),
    sampleRate: RATE,
    say: (text) => {
      said.push(text);
      clock += 4000;
      return Promise.resolve();
    },
    converse: () => Promise.resolve('ended'),
    emit: (type, data) => {
      events.push({ type, data });
      return Promise.resolve();
    },
    calleeGone: never,
    deadline: never,
    now: () => new Date(clock),
    ...over,
  };
  return { port, events, said, types: () => events.map((e) => e.type) };
}

function completed(events: Array<{ type: EventType; data: Record<string, unknown> }>) {
  const last = events[events.length - 1];
  expect(last?.type).toBe('call.completed');
  return callCompletedDataSchema.parse(last?.data);
}

describe('call flow', () => {
  it('says a one-way message to a person after the verdict and reports it delivered', async () => {
    const f = fakePort(humanAudio());
    await runCall(f.port, meta());
    expect(f.types()).toEqual(['call.amd_result', 'call.notification_delivered', 'call.completed']);
    expect(f.said).toEqual(['Your prescription is ready.']);
    expect(completed(f.events)).toMatchObject({ outcome: 'completed', amd: { result: 'human' }, durationMs: 4000 });
  });

  it('hangs up on a machine without saying anything', async () => {
    const f = fakePort(machineAudio(false));
    await runCall(f.port, meta());
    expect(f.types()).toEqual(['call.amd_result', 'call.amd_hangup', 'call.completed']);
    expect(f.said).toEqual([]);
    expect(completed(f.events)).toMatchObject({ outcome: 'voicemail', amd: { result: 'machine' } });
  });

  it('leaves the voicemail only after the beep has ended', async () => {
    const audio = machineAudio(true);
    let saidAtFrame = -1;
    let framesRead = 0;
    const source = frames(audio);
    const counting: AsyncIterator<Int16Array> = {
      next: () => {
        framesRead++;
        return source.next();
      },
    };
    const f = fakePort(audio, {
      audio: counting,
      say: (text) => {
        saidAtFrame = framesRead;
        f.said.push(text);
        return Promise.resolve();
      },
    });
    await runCall(f.port, meta({ amd: { enabled: true, onMachine: 'leave_voicemail' }, voicemailMessage: 'Please call us back.' }));
    expect(f.types()).toEqual(['call.amd_result', 'call.voicemail_left', 'call.completed']);
    expect(f.said).toEqual(['Please call us back.']);
    const beepEndMs = (audio.length / RATE) * 1000 - 4000;
    expect(saidAtFrame * 20).toBeGreaterThanOrEqual(beepEndMs);
    expect(saidAtFrame * 20).toBeLessThan(beepEndMs + 200);
    expect(completed(f.events)).toMatchObject({ outcome: 'voicemail_left' });
  });

  it('starts a conversation for a two-way campaign', async () => {
    const f = fakePort(humanAudio());
    await runCall(f.port, meta({ mode: 'two_way' }));
    expect(f.types()).toEqual(['call.amd_result', 'call.conversation_started', 'call.completed']);
    expect(completed(f.events)).toMatchObject({ outcome: 'completed', reason: 'conversation_ended' });
  });

  it('skips detection when AMD is off', async () => {
    const f = fakePort(machineAudio(false));
    await runCall(f.port, meta({ amd: { enabled: false, onMachine: 'hangup' } }));
    expect(f.types()).toEqual(['call.notification_delivered', 'call.completed']);
  });

  it('reports a callee who hangs up during the message', async () => {
    let hangUp: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (hangUp = resolve));
    const f = fakePort(humanAudio(), {
      calleeGone: gone,
      say: () => {
        hangUp();
        return never;
      },
    });
    await runCall(f.port, meta());
    expect(f.types()).toEqual(['call.amd_result', 'call.user_hangup', 'call.completed']);
    expect(completed(f.events)).toMatchObject({ outcome: 'completed', reason: 'user_hangup' });
  });

  it('reports a callee whose audio stops before any verdict as a hang-up', async () => {
    const f = fakePort(toInt16(silence(300, RATE)));
    await runCall(f.port, meta());
    expect(f.types()).toEqual(['call.user_hangup', 'call.completed']);
  });

  it('ends at the maximum call duration', async () => {
    const f = fakePort(humanAudio(), { deadline: Promise.resolve() });
    const { ending } = await runCall(f.port, meta());
    expect(ending).toEqual({ kind: 'max_duration', path: null });
    expect(completed(f.events)).toMatchObject({ reason: 'max_call_duration' });
  });

  it('turns a failure into call.error and still completes the call', async () => {
    const f = fakePort(humanAudio(), { say: () => Promise.reject(new Error('tts unavailable')) });
    await runCall(f.port, meta());
    expect(f.types()).toEqual(['call.amd_result', 'call.error', 'call.completed']);
    expect(completed(f.events)).toMatchObject({ outcome: 'failed', reason: 'tts unavailable' });
  });

  describe('transfer', () => {
    const twoWay = meta({ mode: 'two_way', transfer: { to: '+12025550109', announce: null } });

    /** A conversation whose transfer_call runs as on the real stack: the callee's leg ends first. */
    function transferring(result: 'ok' | 'declined') {
      let hangUp: () => void = () => undefined;
      const calleeGone = new Promise<void>((resolve) => (hangUp = resolve));
      const f = fakePort(humanAudio(), {
        calleeGone,
        converse: (_path, record) => {
          let settle: () => void = () => undefined;
          record.transferInFlight = new Promise<void>((resolve) => (settle = resolve));
          hangUp();
          // The transfer's result arrives after the departure has been seen (every microtask has run).
          setImmediate(() => {
            void (async () => {
              if (result === 'ok') {
                record.transferredTo = '+12025550109';
                await f.port.emit('call.transferred', { to: '+12025550109' });
              } else {
                await f.port.emit('call.transfer_failed', { to: '+12025550109', sipStatus: 603, reason: 'Decline' });
              }
              record.transferInFlight = null;
              settle();
            })();
          });
          return new Promise<'ended'>(() => undefined);
        },
      });
      return f;
    }

    it('reports a transfer whose callee left before its result arrived as transferred, not a hang-up', async () => {
      const f = transferring('ok');
      const { ending } = await runCall(f.port, twoWay);
      expect(ending).toEqual({ kind: 'transferred' });
      expect(f.types()).toEqual(['call.amd_result', 'call.conversation_started', 'call.transferred', 'call.completed']);
      expect(completed(f.events)).toMatchObject({ outcome: 'transferred', reason: 'transferred', transferredTo: '+12025550109' });
    });

    it('reports a hang-up after a failed transfer as the conversation’s end (completed)', async () => {
      const f = transferring('declined');
      await runCall(f.port, twoWay);
      expect(f.types()).toEqual([
        'call.amd_result',
        'call.conversation_started',
        'call.transfer_failed',
        'call.user_hangup',
        'call.completed',
      ]);
      expect(completed(f.events)).toMatchObject({ outcome: 'completed', reason: 'user_hangup', transferredTo: null });
    });

    it('reports a transfer that ended the conversation as transferred', async () => {
      const f = fakePort(humanAudio(), {
        converse: (_path, record) => {
          record.transferredTo = 'sip:desk@pbx.example.com';
          return Promise.resolve('ended');
        },
      });
      await runCall(f.port, twoWay);
      expect(completed(f.events)).toMatchObject({ outcome: 'transferred', transferredTo: 'sip:desk@pbx.example.com' });
    });
  });
});
