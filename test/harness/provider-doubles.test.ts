// The pure parts of the provider doubles: when the STT double hears an utterance, how scripts
// are chosen, and the OpenAI chunks a client reassembles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptFromSpec } from '../support/provider-doubles/deepgram-script.js';
import { completion, completionChunks, lastToolResultName, type ChatRequest } from '../support/provider-doubles/openai-chat.js';
import { replyFromRules } from '../support/provider-doubles/openai-rules.js';
import { createUtteranceListener, DEFAULT_LISTENER, type ListenerEvent } from '../support/provider-doubles/utterance-listener.js';

const RATE = 16000;
const SEED = { seed: 20260513, numRuns: 60 };

/** A 400 Hz tone at about -12 dBFS, or silence. */
function audio(ms: number, loud: boolean): Int16Array {
  const n = (ms * RATE) / 1000;
  return Int16Array.from({ length: n }, (_, i) => (loud ? Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / RATE)) : 0));
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function listen(samples: Int16Array, chunkSizes: number[]): ListenerEvent[] {
  const l = createUtteranceListener({ ...DEFAULT_LISTENER, sampleRate: RATE });
  const out: ListenerEvent[] = [];
  let at = 0;
  for (let i = 0; at < samples.length; i++) {
    const size = chunkSizes[i % chunkSizes.length] ?? 160;
    out.push(...l.push(samples.subarray(at, at + size)));
    at += size;
  }
  return [...out, ...l.finalize()];
}

// Utterances (in 10 ms steps) longer than the minimum speech, gaps longer than the endpoint.
const plan = fc.array(fc.record({ gapMs: fc.integer({ min: 70, max: 150 }).map((x) => x * 10), speechMs: fc.integer({ min: 25, max: 200 }).map((x) => x * 10) }), {
  minLength: 1,
  maxLength: 5,
});

describe('utterance listener', () => {
  it('hears one utterance per stretch of speech, starting and ending where the speech does', () => {
    fc.assert(
      fc.property(plan, fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 8 }), (segments, chunks) => {
        const parts: Int16Array[] = [];
        const expected: Array<{ startS: number; endS: number }> = [];
        let atMs = 0;
        for (const s of segments) {
          parts.push(audio(s.gapMs, false), audio(s.speechMs, true));
          expected.push({ startS: (atMs + s.gapMs) / 1000, endS: (atMs + s.gapMs + s.speechMs) / 1000 });
          atMs += s.gapMs + s.speechMs;
        }
        parts.push(audio(DEFAULT_LISTENER.endpointMs + 10, false));
        const finals = listen(concat(parts), chunks).filter((e) => e.kind === 'final');
        expect(finals).toHaveLength(segments.length);
        finals.forEach((f, i) => {
          expect(f).toMatchObject({ heard: true, fromFinalize: false });
          expect(f.startS).toBeCloseTo(expected[i]?.startS ?? -1, 2);
          expect(f.endS).toBeCloseTo(expected[i]?.endS ?? -1, 2);
        });
      }),
      SEED,
    );
  });

  it('gives the same events however the audio is cut into messages', () => {
    fc.assert(
      fc.property(plan, fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 }), (segments, chunks) => {
        const samples = concat(segments.flatMap((s) => [audio(s.gapMs, false), audio(s.speechMs, true)]));
        expect(listen(samples, chunks)).toEqual(listen(samples, [160]));
      }),
      SEED,
    );
  });

  it('ends a burst shorter than the minimum speech without words, and speech still going at Finalize with words', () => {
    const blip = listen(concat([audio(100, false), audio(100, true), audio(700, false)]), [320]);
    expect(blip.filter((e) => e.kind === 'final')).toEqual([{ kind: 'final', heard: false, startS: 0.1, endS: 0.2, fromFinalize: false }]);
    const cut = listen(concat([audio(500, true)]), [320]);
    expect(cut.at(-1)).toMatchObject({ kind: 'final', heard: true, fromFinalize: true });
  });

  it('sends interim results only while speech goes on, never after the final', () => {
    const events = listen(concat([audio(1300, true), audio(700, false)]), [160]);
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('speech_started');
    expect(kinds.at(-1)).toBe('final');
    expect(kinds.filter((k) => k === 'interim').length).toBeGreaterThanOrEqual(3);
  });
});

describe('STT script selection', () => {
  const spec = scriptFromSpec({ sequence: [['first call']], rules: [{ match: { model: 'nova-2-phonecall' }, utterances: ['stop'] }], default: ['yes'] });
  it('takes the sequence by connection order, then the first matching rule, then the default', () => {
    expect(typeof spec === 'function' && spec({ index: 0, query: { model: ['nova-2-phonecall'] } })).toEqual(['first call']);
    expect(typeof spec === 'function' && spec({ index: 1, query: { model: ['nova-2-phonecall'] } })).toEqual(['stop']);
    expect(typeof spec === 'function' && spec({ index: 1, query: { model: ['nova-3'] } })).toEqual(['yes']);
  });
});

describe('OpenAI chat answers', () => {
  const req = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, ...extra });
  const env = { id: 'chatcmpl-1', created: 1, callId: (i: number) => `call_${i}` };

  type Delta = { content?: string; tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> };
  type Chunk = { choices: Array<{ delta: Delta; finish_reason: string | null }>; usage?: unknown };

  /** What a streaming client reassembles from the chunks. */
  function reassemble(chunks: object[]) {
    let text = '';
    const calls: Array<{ id: string; name: string; args: string }> = [];
    let finish: string | null = null;
    for (const c of chunks as Chunk[]) {
      for (const choice of c.choices) {
        text += choice.delta.content ?? '';
        for (const t of choice.delta.tool_calls ?? []) {
          if (t.id) calls[t.index] = { id: t.id, name: t.function?.name ?? '', args: '' };
          const call = calls[t.index];
          if (call) call.args += t.function?.arguments ?? '';
        }
        finish = choice.finish_reason ?? finish;
      }
    }
    return { text, calls, finish };
  }

  const json = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 5 });

  it('streams text and tool calls that reassemble to exactly the reply', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.array(fc.record({ name: fc.stringMatching(/^[a-z_]{1,20}$/), arguments: json }), { maxLength: 3 }), (text, toolCalls) => {
        const got = reassemble(completionChunks(req(), { text, toolCalls }, env));
        expect(got.text).toBe(text);
        expect(got.calls.map((c) => ({ name: c.name, arguments: JSON.parse(c.args) as unknown }))).toEqual(toolCalls);
        expect(got.finish).toBe(toolCalls.length ? 'tool_calls' : 'stop');
      }),
      SEED,
    );
  });

  it('ends with a usage chunk only when stream_options.include_usage asks for it', () => {
    expect((completionChunks(req(), { text: 'x' }, env).at(-1) as Chunk).usage).toBeUndefined();
    const withUsage = completionChunks(req({ stream_options: { include_usage: true } }), { text: 'x' }, env).at(-1) as Chunk;
    expect(withUsage.choices).toEqual([]);
    expect(withUsage.usage).toMatchObject({ total_tokens: expect.any(Number) as number });
  });

  it('answers structured output as the JSON-encoded content of one completion', () => {
    const res = completion(req({ stream: false }), { json: { booked: true } }, env);
    expect(res.choices[0]?.message).toEqual({ role: 'assistant', content: '{"booked":true}', refusal: null });
    expect(res.choices[0]?.finish_reason).toBe('stop');
  });

  it('picks the first matching rule; "after tool" reads the call the last result answers', () => {
    const afterOutcome = req({
      messages: [
        { role: 'user', content: 'yes, Tuesday at three works' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'record_outcome', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'Outcome recorded.' },
      ],
    });
    expect(lastToolResultName(afterOutcome)).toBe('record_outcome');
    const reply = replyFromRules([
      { when: { afterTool: 'record_outcome' }, reply: { text: 'Goodbye.' } },
      { when: { lastUserIncludes: 'TUESDAY' }, reply: { toolCalls: [{ name: 'record_outcome', arguments: {} }] } },
    ]);
    expect(reply(afterOutcome)).toEqual({ text: 'Goodbye.' });
    expect(reply(req({ messages: [{ role: 'user', content: 'Tuesday then' }] }))).toMatchObject({ toolCalls: [{ name: 'record_outcome' }] });
    expect(reply(req())).toEqual({ text: 'Thank you.' });
  });
});
