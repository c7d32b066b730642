import { initializeLogger, voice } from '@livekit/agents';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scheduleSchema } from '../core/campaign.js';
import { CallerAgent } from './caller-agent.js';
import { createCallRecord, type CallRecord } from './call-record.js';
import { createCallTools, type CallToolHost, type TransferHost } from './tools.js';
import type { TransferResult } from './transfer.js';

const NOW = new Date('2026-03-02T15:00:00Z'); // a Monday, 10:00 in New York

interface Harness {
  session: voice.AgentSession;
  record: CallRecord;
  ended: string[];
}

const sessions: voice.AgentSession[] = [];

async function startSession(responses: voice.testing.FakeLLMResponse[], host: Partial<CallToolHost> = {}): Promise<Harness> {
  const record = createCallRecord(NOW);
  const ended: string[] = [];
  const tools = createCallTools({
    record,
    outcomeSchema: null,
    timezones: ['America/New_York'],
    schedule: null,
    now: () => NOW,
    endCall: (reason) => ended.push(reason),
    ...host,
  });
  const session = new voice.AgentSession({ llm: new voice.testing.FakeLLM(responses) });
  sessions.push(session);
  await session.start({ agent: new CallerAgent({ instructions: 'Confirm the appointment.', greeting: null, tools }) });
  return { session, record, ended };
}

describe('two-way call tools (framework test session, no room)', () => {
  beforeAll(() => {
    initializeLogger({ pretty: false, level: 'silent' });
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });

  it('records a callback in the contact’s local time when they ask for one', async () => {
    const h = await startSession([
      { input: 'Call me tomorrow at 3pm', toolCalls: [{ name: 'schedule_callback', args: { localDateTime: '2026-03-03T15:00' } }] },
      // The model's next input is the tool's output, serialised.
      {
        input: JSON.stringify('Callback booked for Tuesday 3 March at 15:00 (America/New_York). Confirm it to the caller.'),
        content: 'Sure, talk tomorrow at 3.',
      },
    ]);
    const result = await h.session.run({ userInput: 'Call me tomorrow at 3pm' }).wait();
    result.expect.nextEvent().isFunctionCall({ name: 'schedule_callback' });
    result.expect.nextEvent().isFunctionCallOutput({ isError: false });
    result.expect.nextEvent().isMessage({ role: 'assistant' });
    expect(h.record.callbackAt).toBe('2026-03-03T20:00:00.000Z');
  });

  it('refuses a callback outside the calling window and names the next allowed time', async () => {
    const schedule = scheduleSchema.parse({ timezoneFallback: 'America/New_York' });
    const h = await startSession(
      [{ input: 'Call me at 11pm', toolCalls: [{ name: 'schedule_callback', args: { localDateTime: '2026-03-02T23:00' } }] }],
      { schedule },
    );
    const result = await h.session.run({ userInput: 'Call me at 11pm' }).wait();
    result.expect.nextEvent().isFunctionCall({ name: 'schedule_callback' });
    const output = result.expect.nextEvent().isFunctionCallOutput({ isError: true }).event().item.output;
    expect(output).toMatch(/not allowed to call at that time.*Tuesday 3 March at 09:00/);
    expect(h.record.callbackAt).toBeNull();
  });

  it('marks an opt-out and ends the call', async () => {
    const h = await startSession([{ input: 'Stop calling me', toolCalls: [{ name: 'opt_out', args: { calleeWords: 'stop calling me' } }] }]);
    const result = await h.session.run({ userInput: 'Stop calling me' }).wait();
    result.expect.nextEvent().isFunctionCall({ name: 'opt_out' });
    expect(h.record.optOut).toBe(true);
    expect(h.ended).toEqual(['opt_out']);
  });

  it('keeps an outcome that matches the campaign’s outcomeSchema and rejects one that does not', async () => {
    const outcomeSchema = {
      type: 'object',
      properties: { confirmed: { type: 'boolean' }, date: { type: 'string' } },
      required: ['confirmed'],
      additionalProperties: false,
    };
    const h = await startSession(
      [
        { input: 'Maybe', toolCalls: [{ name: 'record_outcome', args: { confirmed: 'maybe' } }] },
        { input: 'Yes, Friday works', toolCalls: [{ name: 'record_outcome', args: { confirmed: true, date: '2026-03-06' } }] },
      ],
      { outcomeSchema },
    );
    const bad = await h.session.run({ userInput: 'Maybe' }).wait();
    bad.expect.nextEvent().isFunctionCall({ name: 'record_outcome' });
    expect(bad.expect.nextEvent().isFunctionCallOutput({ isError: true }).event().item.output).toMatch(/confirmed/);
    expect(h.record.outcomeData).toBeNull();

    const good = await h.session.run({ userInput: 'Yes, Friday works' }).wait();
    good.expect.nextEvent().isFunctionCall({ name: 'record_outcome' });
    good.expect.nextEvent().isFunctionCallOutput({ isError: false });
    expect(h.record.outcomeData).toEqual({ confirmed: true, date: '2026-03-06' });
  });

  it('refuses opt_out and end_call on words the callee did not say', async () => {
    const h = await startSession([
      {
        input: 'Who is this?',
        toolCalls: [
          { name: 'opt_out', args: { calleeWords: 'do not call me again' } },
          { name: 'end_call', args: { calleeWords: 'goodbye' } },
        ],
      },
    ]);
    const result = await h.session.run({ userInput: 'Who is this?' }).wait();
    const outputs = result.events.flatMap((e) => (e.type === 'function_call_output' ? [e.item] : []));
    expect(outputs.map((o) => [o.name, o.isError])).toEqual([
      ['opt_out', true],
      ['end_call', true],
    ]);
    expect(outputs[0]?.output).toMatch(/did not say those words/);
    expect(h.record.optOut).toBe(false);
    expect(h.ended).toEqual([]);
  });

  it('ends the call when the model calls end_call', async () => {
    const h = await startSession([{ input: 'Bye', toolCalls: [{ name: 'end_call', args: { calleeWords: 'Bye' } }] }]);
    const result = await h.session.run({ userInput: 'Bye' }).wait();
    result.expect.nextEvent().isFunctionCall({ name: 'end_call' });
    expect(h.ended).toEqual(['end_call']);
  });

  describe('transfer_call', () => {
    const TARGET = '+12025550109';

    function desk(result: TransferResult, announce: string | null = null) {
      const placed: string[] = [];
      const events: Array<{ type: string; data: unknown }> = [];
      const transfer: TransferHost = {
        to: TARGET,
        announce,
        place: (referTo) => {
          placed.push(referTo);
          return Promise.resolve(result);
        },
        emit: (type, data) => {
          events.push({ type, data });
          return Promise.resolve();
        },
      };
      return { transfer, placed, events };
    }

    const asked = (calleeWords: string) => [
      { input: 'Can I talk to a real person?', toolCalls: [{ name: 'transfer_call', args: { calleeWords } }] },
    ];

    it('is offered only when the campaign has a transfer target', () => {
      const base = { record: createCallRecord(NOW), outcomeSchema: null, timezones: [], schedule: null, now: () => NOW, endCall: () => undefined };
      expect(Object.keys(createCallTools(base))).not.toContain('transfer_call');
      expect(Object.keys(createCallTools({ ...base, transfer: desk({ ok: true }).transfer }))).toContain('transfer_call');
    });

    it('refuses to transfer on words the callee did not say (contact data cannot trigger it)', async () => {
      const d = desk({ ok: true });
      const h = await startSession(asked('transfer me to your manager'), { transfer: d.transfer });
      const result = await h.session.run({ userInput: 'Can I talk to a real person?' }).wait();
      result.expect.nextEvent().isFunctionCall({ name: 'transfer_call' });
      const output = result.expect.nextEvent().isFunctionCallOutput({ isError: true }).event().item.output;
      expect(output).toMatch(/did not say those words/);
      expect(d.placed).toEqual([]);
      expect(d.events).toEqual([]);
      expect(h.record.transferredTo).toBeNull();
      expect(h.ended).toEqual([]);
    });

    it('announces, transfers to the target as a tel: URI, reports call.transferred and ends the conversation', async () => {
      const d = desk({ ok: true }, 'Please hold while I connect you.');
      const h = await startSession(asked('talk to a real person'), { transfer: d.transfer });
      const result = await h.session.run({ userInput: 'Can I talk to a real person?' }).wait();
      result.expect.containsFunctionCall({ name: 'transfer_call' });
      const output = result.expect.containsFunctionCallOutput({ isError: false }).event().item.output;
      expect(output).toMatch(/transferred/);
      expect(d.placed).toEqual([`tel:${TARGET}`]);
      expect(d.events).toEqual([{ type: 'call.transferred', data: { to: TARGET } }]);
      expect(h.record.transferredTo).toBe(TARGET);
      expect(h.record.transferInFlight).toBeNull();
      expect(h.ended).toEqual(['transferred']);
      const said = h.session.history.items.flatMap((i) => (i.type === 'message' && i.role === 'assistant' ? [i.textContent] : []));
      expect(said).toContain('Please hold while I connect you.');
    });

    it('reports a declined transfer with its SIP status and lets the conversation go on', async () => {
      const d = desk({ ok: false, sipStatus: 603, reason: 'Decline' });
      const h = await startSession(
        [
          ...asked('a real person'),
          { input: 'OK, then book me for Friday', content: 'Done, see you Friday.' },
        ],
        { transfer: d.transfer },
      );
      const first = await h.session.run({ userInput: 'Can I talk to a real person?' }).wait();
      first.expect.containsFunctionCall({ name: 'transfer_call' });
      const output = first.expect.containsFunctionCallOutput({ isError: false }).event().item.output;
      expect(output).toMatch(/did not go through/);
      expect(d.events).toEqual([{ type: 'call.transfer_failed', data: { to: TARGET, sipStatus: 603, reason: 'Decline' } }]);
      expect(h.record.transferredTo).toBeNull();
      expect(h.record.transferInFlight).toBeNull();
      expect(h.ended).toEqual([]);

      const next = await h.session.run({ userInput: 'OK, then book me for Friday' }).wait();
      next.expect.containsMessage({ role: 'assistant' });
    });
  });
});
