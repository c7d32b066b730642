// The provider doubles driven through the REAL LiveKit Agents plugins (cartesia, deepgram,
// openai 1.8.1), pointed at them by their own base-URL options, with no LiveKit room: what the
// agent's calls will say and hear offline. Needs espeak-ng and sox (the suite skips without them).
import { initializeLogger, llm, stt, tts, voice } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import { AudioFrame } from '@livekit/rtc-node';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { corpusToolsAvailable } from '../../scripts/amd-corpus.js';
import { blockLevelDb } from '../../src/agent/amd/segmenter.js';
import { createCallRecord } from '../../src/agent/call-record.js';
import { CallerAgent } from '../../src/agent/caller-agent.js';
import { createCallTools } from '../../src/agent/tools.js';
import { waitFor } from '../support/wait.js';
import { lastToolResultName, lastUserText, speak, startProviderDoubles, type ProviderDoubles } from '../support/provider-doubles/index.js';

const toolsPresent = await corpusToolsAvailable();
if (!toolsPresent) console.warn('provider-doubles: espeak-ng or sox missing (apt-get install -y espeak-ng sox); skipping');

const KEY = 'test-key';
let doubles: ProviderDoubles;

function levelDb(frames: readonly AudioFrame[]): number {
  const all = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f.data, at);
    at += f.data.length;
  }
  return blockLevelDb(all);
}

const seconds = (frames: readonly AudioFrame[]) => frames.reduce((s, f) => s + f.samplesPerChannel / f.sampleRate, 0);

async function speechPcm(text: string, sampleRate: number): Promise<Int16Array> {
  const raw = await speak(text, { sampleRate, encoding: 'pcm_s16le' });
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
}

/** Feeds PCM as 10 ms frames, the way room audio reaches an STT stream. */
function pushPcm(stream: stt.SpeechStream, pcm: Int16Array, sampleRate: number): void {
  const n = sampleRate / 100;
  for (let i = 0; i + n <= pcm.length; i += n) stream.pushFrame(new AudioFrame(pcm.slice(i, i + n), sampleRate, 1, n));
}

/** An STT stream whose WebSocket the double has accepted (input ended earlier never connects). */
async function openListenStream(opts: Partial<deepgram.STTOptions> = {}) {
  const before = doubles.deepgram.connections.length;
  const stream = new deepgram.STT({ apiKey: KEY, baseUrl: doubles.deepgram.baseUrl, ...opts }).stream();
  const conn = await waitFor(() => doubles.deepgram.connections[before], { what: 'the STT connection' });
  return { stream, conn };
}

describe.skipIf(!toolsPresent)('provider doubles through the real LiveKit Agents plugins', () => {
  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'fatal' });
    doubles = await startProviderDoubles();
  });
  afterAll(async () => {
    await doubles?.stop();
  });

  describe('Cartesia-protocol TTS', () => {
    it('streams espeak-ng speech over /tts/websocket and records the text said', async () => {
      const t = new cartesia.TTS({ apiKey: KEY, baseUrl: doubles.cartesia.baseUrl });
      const stream = t.stream();
      stream.pushText('Hello, this is the dental clinic. ');
      stream.pushText('Your appointment is on Tuesday at three.');
      stream.endInput();
      const frames: AudioFrame[] = [];
      const words: string[] = [];
      for await (const ev of stream) {
        if (ev === tts.SynthesizeStream.END_OF_STREAM) break;
        frames.push(ev.frame);
        for (const w of ev.timedTranscripts ?? []) words.push(w.text.trim());
      }
      await t.close();

      expect(frames.every((f) => f.sampleRate === 24000)).toBe(true);
      expect(seconds(frames)).toBeGreaterThan(2);
      expect(levelDb(frames)).toBeGreaterThan(-35);
      expect(words).toContain('Tuesday');
      const said = doubles.cartesia.spoken.find((s) => s.text.includes('Tuesday at three'));
      expect(said).toMatchObject({
        transport: 'websocket',
        text: 'Hello, this is the dental clinic. Your appointment is on Tuesday at three.',
        complete: true,
        sampleRate: 24000,
        encoding: 'pcm_s16le',
        apiKey: KEY,
        apiVersion: '2025-04-16',
      });
    });

    it('answers synthesize() (POST /tts/bytes, always HTTPS in the plugin) at the requested rate', async () => {
      const previous = https.globalAgent.options.ca;
      https.globalAgent.options.ca = [doubles.cartesia.caCert ?? ''];
      try {
        const t = new cartesia.TTS({ apiKey: KEY, baseUrl: doubles.cartesia.baseUrl, sampleRate: 16000 });
        const frame = await t.synthesize('Hello there').collect();
        await t.close();
        expect(frame.sampleRate).toBe(16000);
        expect(frame.samplesPerChannel / frame.sampleRate).toBeGreaterThan(0.4);
        expect(levelDb([frame])).toBeGreaterThan(-35);
      } finally {
        https.globalAgent.options.ca = previous;
      }
      expect(doubles.cartesia.spoken.at(-1)).toMatchObject({ transport: 'bytes', text: 'Hello there', sampleRate: 16000 });
    });

    it('refuses a WebSocket without an API key, as Cartesia does', async () => {
      const ws = new WebSocket(`${doubles.cartesia.baseUrl.replace(/^http/, 'ws')}/tts/websocket`);
      const status = await new Promise<number>((resolve, reject) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error('opened without a key')));
        ws.on('error', () => undefined);
      });
      expect(status).toBe(401);
    });
  });

  describe('Deepgram-protocol streaming STT', () => {
    it('answers each utterance heard with the next scripted transcript, timed to the audio', async () => {
      doubles.deepgram.setScript(['Hello? Who is this?', 'yes, Tuesday at three works']);
      const { stream, conn } = await openListenStream();
      const first = await speechPcm('Hello, who is this?', 16000);
      const second = await speechPcm('Yes, Tuesday at three works for me.', 16000);
      const pause = new Int16Array(16000);
      pushPcm(stream, first, 16000);
      pushPcm(stream, pause, 16000);
      pushPcm(stream, second, 16000);
      pushPcm(stream, pause, 16000);
      stream.endInput();

      const events: stt.SpeechEvent[] = [];
      for await (const ev of stream) events.push(ev);
      const finals = events.filter((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT);
      expect(finals.map((e) => e.alternatives?.[0].text)).toEqual(['Hello? Who is this?', 'yes, Tuesday at three works']);
      expect(events.filter((e) => e.type === stt.SpeechEventType.END_OF_SPEECH)).toHaveLength(2);
      expect(events.some((e) => e.type === stt.SpeechEventType.INTERIM_TRANSCRIPT)).toBe(true);
      // The second answer starts where the second utterance does: after the first and the pause.
      const secondStart = finals[1]?.alternatives?.[0].startTime ?? 0;
      expect(secondStart).toBeGreaterThan((first.length + pause.length) / 16000 - 0.3);
      expect(secondStart).toBeLessThan((first.length + pause.length) / 16000 + 0.5);

      expect(conn.query).toMatchObject({ encoding: ['linear16'], sample_rate: ['16000'], interim_results: ['true'], vad_events: ['true'], model: ['nova-3'] });
      expect(conn.apiKey).toBe(KEY);
      expect(conn.control.CloseStream).toBe(1);
      expect(conn.finals).toEqual(['Hello? Who is this?', 'yes, Tuesday at three works']);
    });

    it('says nothing for line noise and a click, however long', async () => {
      doubles.deepgram.setScript(['this must not be heard']);
      const { stream, conn } = await openListenStream();
      let seed = 7;
      // Uniform noise at about -47 dBFS: loud enough to pass the plugin's own energy gate (-48),
      // under the double's speech level (-45). Then a 50 ms burst: speech too short to be words.
      const noise = (n: number, amplitude: number) =>
        Int16Array.from({ length: n }, () => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return Math.round(((seed / 0x7fffffff) * 2 - 1) * amplitude);
        });
      pushPcm(stream, noise(16000, 253), 16000);
      pushPcm(stream, noise(800, 12000), 16000);
      pushPcm(stream, noise(16000, 253), 16000);
      stream.endInput();
      const events: stt.SpeechEvent[] = [];
      for await (const ev of stream) events.push(ev);
      expect(events.filter((e) => e.alternatives?.[0].text)).toEqual([]);
      expect(events.map((e) => e.type)).toContain(stt.SpeechEventType.START_OF_SPEECH);
      expect(conn.audioSeconds).toBeGreaterThan(1.9);
      expect(conn.finals).toEqual([]);
    });

    it('chooses the script per connection (here by the model the plugin asks for)', async () => {
      doubles.deepgram.setScript((conn) => (conn.query.model?.includes('nova-2-phonecall') ? ['please stop calling me'] : ['sure']));
      const { stream } = await openListenStream({ model: 'nova-2-phonecall' });
      pushPcm(stream, await speechPcm('Please stop calling me.', 16000), 16000);
      stream.endInput();
      const finals: string[] = [];
      for await (const ev of stream) if (ev.type === stt.SpeechEventType.FINAL_TRANSCRIPT) finals.push(ev.alternatives?.[0].text ?? '');
      expect(finals).toEqual(['please stop calling me']);
    });

    it('answers the pre-recorded recognize() (POST /v1/listen)', async () => {
      doubles.deepgram.setScript(['yes, Tuesday at three works']);
      const pcm = await speechPcm('Yes, Tuesday at three works.', 16000);
      const ev = await new deepgram.STT({ apiKey: KEY, baseUrl: doubles.deepgram.baseUrl }).recognize([new AudioFrame(pcm, 16000, 1, pcm.length)]);
      expect(ev.type).toBe(stt.SpeechEventType.FINAL_TRANSCRIPT);
      expect(ev.alternatives?.[0].text).toBe('yes, Tuesday at three works');
    });
  });

  describe('OpenAI-compatible chat completions', () => {
    const model = 'gpt-4.1-mini';

    async function drain(s: llm.LLMStream) {
      let text = '';
      const calls: llm.FunctionCall[] = [];
      for await (const chunk of s) {
        text += chunk.delta?.content ?? '';
        calls.push(...(chunk.delta?.toolCalls ?? []));
      }
      return { text, calls };
    }

    it('streams a scripted text reply and records the request', async () => {
      doubles.openai.setReply((req) => ({ text: `You said: ${lastUserText(req)}` }));
      const chatCtx = llm.ChatContext.empty();
      chatCtx.addMessage({ role: 'system', content: 'Confirm the appointment.' });
      chatCtx.addMessage({ role: 'user', content: 'Hello? Who is this?' });
      const out = await drain(new openai.LLM({ apiKey: KEY, baseURL: doubles.openai.baseUrl, model }).chat({ chatCtx }));
      expect(out).toEqual({ text: 'You said: Hello? Who is this?', calls: [] });
      const req = doubles.openai.requests.at(-1);
      expect(req?.path).toBe('/v1/chat/completions');
      expect(req?.apiKey).toBe(KEY);
      expect(req?.body).toMatchObject({ model, stream: true, stream_options: { include_usage: true } });
      expect(req?.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    });

    it('streams a scripted tool call whose arguments arrive whole', async () => {
      const args = { summary: 'Booked for Tuesday at three', slot: { day: 'Tuesday', hour: 15 } };
      doubles.openai.setReply(() => ({ text: 'One moment.', toolCalls: [{ name: 'record_outcome', arguments: args }] }));
      const chatCtx = llm.ChatContext.empty();
      chatCtx.addMessage({ role: 'user', content: 'yes, Tuesday at three works' });
      const toolCtx = {
        record_outcome: llm.tool({ description: 'Record the result', parameters: z.object({ summary: z.string() }), execute: () => Promise.resolve('ok') }),
      };
      const out = await drain(new openai.LLM({ apiKey: KEY, baseURL: doubles.openai.baseUrl, model }).chat({ chatCtx, toolCtx }));
      expect(out.text).toBe('One moment.');
      expect(out.calls.map((c) => ({ name: c.name, args: JSON.parse(c.args) as unknown }))).toEqual([{ name: 'record_outcome', args }]);
      expect(doubles.openai.requests.at(-1)?.body.tools?.map((t) => t.function.name)).toEqual(['record_outcome']);
    });

    it('drives outdial’s own call tools in an agent session: "Tuesday at three" → record_outcome', async () => {
      doubles.openai.setReply((req) =>
        lastToolResultName(req) === 'record_outcome'
          ? { text: 'Great, see you on Tuesday at three.' }
          : { toolCalls: [{ name: 'record_outcome', arguments: { summary: 'Confirmed Tuesday at three' } }] },
      );
      const record = createCallRecord(new Date());
      const tools = createCallTools({ record, outcomeSchema: null, timezones: ['UTC'], schedule: null, now: () => new Date(), endCall: () => undefined });
      const session = new voice.AgentSession({ llm: new openai.LLM({ apiKey: KEY, baseURL: doubles.openai.baseUrl, model }) });
      try {
        await session.start({ agent: new CallerAgent({ instructions: 'Confirm the appointment.', greeting: null, tools }) });
        const result = await session.run({ userInput: 'yes, Tuesday at three works' }).wait();
        result.expect.nextEvent().isFunctionCall({ name: 'record_outcome' });
        result.expect.nextEvent().isFunctionCallOutput({ isError: false });
        result.expect.nextEvent().isMessage({ role: 'assistant' });
      } finally {
        await session.close();
      }
      expect(record.outcomeData).toEqual({ summary: 'Confirmed Tuesday at three' });
    });

    it('answers non-streamed requests with structured output (response_format json_schema)', async () => {
      const analysis = { sentiment: 'positive', booked: true };
      doubles.openai.setReply((req) => (req.response_format?.type === 'json_schema' ? { json: analysis } : { text: 'no schema asked' }));
      const client = new OpenAI({ apiKey: KEY, baseURL: doubles.openai.baseUrl, maxRetries: 0 });
      const res = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Summarise the call' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'call_analysis', strict: true, schema: { type: 'object', properties: { sentiment: { type: 'string' }, booked: { type: 'boolean' } } } },
        },
      });
      expect(res.object).toBe('chat.completion');
      expect(res.choices[0]?.finish_reason).toBe('stop');
      expect(JSON.parse(res.choices[0]?.message.content ?? 'null')).toEqual(analysis);
      expect(res.usage?.total_tokens).toBeGreaterThan(0);
    });

    it('answers an error the way OpenAI does, so the plugin raises an API status error', async () => {
      doubles.openai.setReply(() => ({ error: { status: 429, message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }));
      const client = new OpenAI({ apiKey: KEY, baseURL: doubles.openai.baseUrl, maxRetries: 0 });
      const err = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    });
  });

  it('runs standalone: serve.ts prints the base URLs of three live doubles', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/provider-doubles/serve.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`serve.ts exited ${code}`)));
      });
      const printed = JSON.parse(line) as { cartesia: string; deepgram: string; openai: string; env: Record<string, string> };
      expect(new Set([printed.cartesia, printed.deepgram, printed.openai].map((u) => new URL(u).port)).size).toBe(3);
      expect(printed.env).toMatchObject({ CARTESIA_BASE_URL: printed.cartesia, DEEPGRAM_BASE_URL: printed.deepgram, OPENAI_BASE_URL: printed.openai });
      const models = await fetch(`${printed.openai}/models`, { headers: { authorization: 'Bearer x' } });
      expect(models.status).toBe(200);
      const rules = await fetch(`${printed.openai}/../_double/rules`.replace('/v1/../', '/'), { method: 'PUT', body: JSON.stringify([{ reply: { text: 'scripted' } }]) });
      expect(rules.status).toBe(204);
      const answer = await new OpenAI({ apiKey: 'x', baseURL: printed.openai, maxRetries: 0 }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0]?.message.content).toBe('scripted');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
