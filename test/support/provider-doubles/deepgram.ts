// Deepgram-protocol streaming STT on loopback, as @livekit/agents-plugin-deepgram 1.8.1 uses it:
// WebSocket /v1/listen?model=…&encoding=linear16&sample_rate=…&interim_results=…&vad_events=…
// with `Authorization: Token <key>`. Binary messages are audio; text messages are KeepAlive,
// Finalize and CloseStream. Each utterance heard in the audio (utterance-listener.ts) becomes
// the connection's next scripted transcript: SpeechStarted, interim Results revealing its words,
// then a final Results with speech_final (and UtteranceEnd when utterance_end_ms was asked).
// POST /v1/listen (pre-recorded, the plugin's recognize()) answers the same way in one response.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { parseWav } from '../../../src/agent/amd/wav.js';
import { metadataMessage, modelInfo, prerecordedResponse, resultsMessage, speechStartedMessage, utteranceEndMessage } from './deepgram-messages.js';
import { listenScriptSpec, queryOf, scriptFromSpec, utterancesFor, type ListenConnection, type ListenScript } from './deepgram-script.js';
import { messageBytes, readBody, refuseUpgrade, sendJson, startLoopbackServer } from './loopback-server.js';
import { createUtteranceListener, DEFAULT_LISTENER, type ListenerEvent, type ListenerOptions } from './utterance-listener.js';

export interface ListenRecord extends ListenConnection {
  requestId: string;
  apiKey: string;
  audioBytes: number;
  audioSeconds: number;
  control: { KeepAlive: number; Finalize: number; CloseStream: number };
  /** Final transcripts sent, in order ('' for an utterance past the end of the script). */
  finals: string[];
  closed: boolean;
}

export interface DeepgramDouble {
  /** ws://127.0.0.1:PORT — the plugin's `baseUrl` (it derives http:// for pre-recorded). */
  baseUrl: string;
  readonly connections: readonly ListenRecord[];
  setScript(script: ListenScript): void;
  stop(): Promise<void>;
}

export type DeepgramDoubleOptions = Partial<Omit<ListenerOptions, 'sampleRate' | 'interimEveryMs'>> & {
  script?: ListenScript;
  interimEveryMs?: number;
  port?: number;
};

function apiKeyOf(req: IncomingMessage): string | null {
  const m = /^(?:Token|Bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ?? null;
}

function toSamples(data: Buffer, channels: number): Int16Array {
  const all = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + (data.length - (data.length % 2))));
  if (channels <= 1) return all;
  const mono = new Int16Array(Math.floor(all.length / channels));
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += all[i * channels + c] ?? 0;
    mono[i] = Math.round(sum / channels);
  }
  return mono;
}

/** The `type` of a text message; a message that is not JSON has none (and is ignored, as Deepgram does). */
function controlType(buf: Buffer): unknown {
  try {
    return (JSON.parse(buf.toString('utf8')) as { type?: unknown } | null)?.type;
  } catch {
    // Not JSON: no control message to act on.
    return undefined;
  }
}

interface Session {
  record: ListenRecord;
  utterances: readonly string[];
  send: (msg: object) => void;
  model: ReturnType<typeof modelInfo>;
  utteranceEndMs: number | null;
}

/** Turns listener events into Deepgram messages, taking the next scripted utterance per final. */
function emit(session: Session, events: ListenerEvent[], vadEvents: boolean): void {
  const { record, utterances, send } = session;
  for (const ev of events) {
    const upcoming = utterances[record.finals.length] ?? '';
    const base = { requestId: record.requestId, model: session.model };
    switch (ev.kind) {
      case 'speech_started':
        if (vadEvents) send(speechStartedMessage(ev.atS));
        break;
      case 'interim': {
        const words = upcoming.split(/\s+/).filter((w) => w !== '');
        if (words.length < 2) break;
        const text = words.slice(0, Math.min(ev.index, words.length - 1)).join(' ');
        send(resultsMessage({ ...base, text, startS: ev.startS, endS: ev.endS, isFinal: false, speechFinal: false, fromFinalize: false }));
        break;
      }
      case 'final': {
        const text = ev.heard ? upcoming : '';
        if (ev.heard) record.finals.push(text);
        send(resultsMessage({ ...base, text, startS: ev.startS, endS: ev.endS, isFinal: true, speechFinal: true, fromFinalize: ev.fromFinalize }));
        if (ev.heard && session.utteranceEndMs !== null) send(utteranceEndMessage(ev.endS));
        break;
      }
      default: {
        const never: never = ev;
        throw new Error(`unknown listener event ${JSON.stringify(never)}`);
      }
    }
  }
}

export async function startDeepgramDouble(opts: DeepgramDoubleOptions = {}): Promise<DeepgramDouble> {
  const connections: ListenRecord[] = [];
  let script: ListenScript = opts.script ?? [];
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => headers.push(`dg-request-id: ${requestIds.get(req) ?? ''}`));

  const newRecord = (url: URL, apiKey: string): ListenRecord => {
    const record: ListenRecord = {
      index: connections.length, query: queryOf(url), requestId: randomUUID(), apiKey, audioBytes: 0, audioSeconds: 0,
      control: { KeepAlive: 0, Finalize: 0, CloseStream: 0 }, finals: [], closed: false,
    };
    connections.push(record);
    return record;
  };
  const listenerFor = (url: URL, sampleRate: number) => {
    const interim = url.searchParams.get('interim_results') !== 'false';
    return createUtteranceListener({ ...DEFAULT_LISTENER, ...opts, sampleRate, interimEveryMs: interim ? (opts.interimEveryMs ?? DEFAULT_LISTENER.interimEveryMs) : null });
  };

  const serveSocket = (ws: WebSocket, url: URL, record: ListenRecord) => {
    const sampleRate = Number(url.searchParams.get('sample_rate') ?? 16000);
    const channels = Number(url.searchParams.get('channels') ?? 1);
    const vadEvents = url.searchParams.get('vad_events') === 'true';
    const utteranceEnd = url.searchParams.get('utterance_end_ms');
    const listener = listenerFor(url, sampleRate);
    const session: Session = {
      record, utterances: utterancesFor(script, record), model: modelInfo(url.searchParams.get('model') ?? 'nova-3'),
      utteranceEndMs: utteranceEnd ? Number(utteranceEnd) : null,
      send: (msg) => {
        if (ws.readyState === 1) ws.send(JSON.stringify(msg));
      },
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = messageBytes(data);
      if (isBinary) {
        record.audioBytes += buf.length;
        emit(session, listener.push(toSamples(buf, channels)), vadEvents);
        record.audioSeconds = listener.seconds;
        return;
      }
      const type = controlType(buf);
      if (type === 'KeepAlive') record.control.KeepAlive += 1;
      else if (type === 'Finalize' || type === 'CloseStream') {
        record.control[type] += 1;
        emit(session, listener.finalize(), vadEvents);
        if (type === 'CloseStream') {
          session.send(metadataMessage(record.requestId, listener.seconds, channels, session.model, new Date()));
          ws.close(1000);
        }
      }
    });
    ws.on('close', () => {
      record.closed = true;
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/v1/listen') return refuseUpgrade(socket, 404, 'Not Found');
    const apiKey = apiKeyOf(req);
    if (!apiKey) return refuseUpgrade(socket, 401, 'Unauthorized', '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}');
    if ((url.searchParams.get('encoding') ?? 'linear16') !== 'linear16') return refuseUpgrade(socket, 400, 'Bad Request', '{"err_msg":"only encoding=linear16"}');
    const record = newRecord(url, apiKey);
    requestIds.set(req, record.requestId);
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, url, record));
  };

  const prerecorded = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const apiKey = apiKeyOf(req);
    if (!apiKey) return sendJson(res, 401, { err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' });
    const audio = parseWav(await readBody(req));
    const record = newRecord(url, apiKey);
    const listener = listenerFor(url, audio.sampleRate);
    const events = [...listener.push(audio.samples), ...listener.finalize()];
    const utterances = utterancesFor(script, record);
    for (const ev of events) if (ev.kind === 'final' && ev.heard) record.finals.push(utterances[record.finals.length] ?? '');
    record.audioBytes = audio.samples.byteLength;
    record.audioSeconds = listener.seconds;
    record.closed = true;
    const text = record.finals.filter((t) => t !== '').join(' ');
    sendJson(res, 200, prerecordedResponse(record.requestId, text, listener.seconds, modelInfo(url.searchParams.get('model') ?? 'nova-3'), new Date()));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    const fail = (err: unknown) => sendJson(res, 400, { err_msg: err instanceof Error ? err.message : String(err) });
    if (route === 'GET /_double/connections') return sendJson(res, 200, connections);
    if (route === 'PUT /_double/script') {
      readBody(req)
        .then((body) => {
          script = scriptFromSpec(listenScriptSpec.parse(JSON.parse(body.toString('utf8'))));
          res.writeHead(204).end();
        })
        .catch(fail);
      return;
    }
    if (route === 'POST /v1/listen') return void prerecorded(req, res, url).catch(fail);
    sendJson(res, 404, { err_msg: `no route ${route}` });
  };

  const server = await startLoopbackServer({ onRequest, onUpgrade, ...(opts.port ? { port: opts.port } : {}) });
  return {
    baseUrl: `ws://127.0.0.1:${server.port}`,
    connections,
    setScript(next) {
      script = next;
    },
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      await server.stop();
    },
  };
}
