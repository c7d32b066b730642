// Cartesia-protocol TTS on loopback, as @livekit/agents-plugin-cartesia 1.8.1 speaks it:
//  - WebSocket /tts/websocket (the plugin's stream(), used by AgentSession.say): JSON generation
//    requests per context_id with `continue`, answered by `chunk` messages (base64 raw audio),
//    `timestamps` when asked, and `done` once the context is closed and all of it was said.
//  - POST /tts/bytes (the plugin's synthesize()): raw audio bytes in the response body. The
//    plugin sends it with node:https whatever the base URL says, hence the optional TLS.
// The audio is espeak-ng speech in the requested encoding and rate; every text is recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { messageBytes, readBody, refuseUpgrade, sendJson, startLoopbackServer } from './loopback-server.js';
import { BYTES_PER_SAMPLE, cachedSpeaker, isSpeechEncoding, type SpeechFormat } from './speech.js';
import { makeLoopbackCertificate } from './tls-cert.js';

export interface SpokenText {
  transport: 'websocket' | 'bytes';
  contextId: string | null;
  /** The whole text of a context (its transcripts joined), whitespace-collapsed. */
  text: string;
  model: string | null;
  voice: unknown;
  language: string | null;
  sampleRate: number;
  encoding: string;
  audioBytes: number;
  apiKey: string;
  apiVersion: string | null;
  /** True once the context was closed (`continue: false`) and answered with `done`. */
  complete: boolean;
}

export interface CartesiaDouble {
  baseUrl: string;
  /** PEM file of the TLS certificate, for NODE_EXTRA_CA_CERTS; null without TLS. */
  caCertPath: string | null;
  caCert: string | null;
  /** Every context or bytes request, in the order they started. */
  readonly spoken: readonly SpokenText[];
  stop(): Promise<void>;
}

export interface CartesiaDoubleOptions {
  /** Serve HTTPS on the same port too (needed by the plugin's synthesize()). Default false. */
  tls?: boolean;
  port?: number;
  /** Raw audio per chunk message, in milliseconds. */
  chunkMs?: number;
}

type Speaker = (text: string, format: SpeechFormat) => Promise<Buffer>;

interface GenerationRequest {
  context_id?: unknown;
  transcript?: unknown;
  continue?: unknown;
  cancel?: unknown;
  model_id?: unknown;
  voice?: unknown;
  language?: unknown;
  add_timestamps?: unknown;
  output_format?: { container?: unknown; encoding?: unknown; sample_rate?: unknown };
}

/** The requested output format, or why it cannot be served. */
export function outputFormat(req: GenerationRequest): SpeechFormat | string {
  const f = req.output_format;
  if (!f || f.container !== 'raw') return 'output_format.container must be "raw"';
  if (!isSpeechEncoding(f.encoding)) return `unsupported output_format.encoding ${String(f.encoding)}`;
  const rate = Number(f.sample_rate);
  if (!Number.isInteger(rate) || rate < 8000 || rate > 48000) return `unsupported output_format.sample_rate ${String(f.sample_rate)}`;
  return { sampleRate: rate, encoding: f.encoding };
}

/** Words spread evenly over a segment of audio, in seconds from the start of the context. */
export function wordTimestamps(text: string, offsetS: number, durationS: number) {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const step = words.length ? durationS / words.length : 0;
  return {
    words,
    start: words.map((_, i) => offsetS + i * step),
    end: words.map((_, i) => offsetS + (i + 1) * step),
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

function credentials(req: IncomingMessage): { apiKey: string; apiVersion: string | null } | null {
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  const apiKey = header(req, 'x-api-key') ?? query.get('api_key');
  if (!apiKey) return null;
  return { apiKey, apiVersion: header(req, 'cartesia-version') ?? query.get('cartesia_version') };
}

interface Context {
  record: SpokenText;
  format: SpeechFormat;
  timestamps: boolean;
  offsetS: number;
  chain: Promise<void>;
  cancelled: boolean;
}

function serveSocket(ws: WebSocket, who: { apiKey: string; apiVersion: string | null }, speakText: Speaker, chunkMs: number, spoken: SpokenText[]): void {
  const contexts = new Map<string, Context>();
  const send = (msg: Record<string, unknown>) => {
    if (ws.readyState === 1) ws.send(JSON.stringify(msg));
  };
  const fail = (contextId: string, error: string, status = 400) => send({ type: 'error', context_id: contextId, status_code: status, done: true, error });

  const sayInto = async (ctx: Context, text: string, contextId: string) => {
    const audio = await speakText(text, ctx.format);
    const chunkBytes = Math.max(1, Math.round((ctx.format.sampleRate * chunkMs) / 1000)) * BYTES_PER_SAMPLE[ctx.format.encoding];
    for (let at = 0; at < audio.length && !ctx.cancelled; at += chunkBytes) {
      const data = audio.subarray(at, at + chunkBytes).toString('base64');
      send({ type: 'chunk', data, done: false, status_code: 206, step_time: chunkMs, context_id: contextId });
    }
    const durationS = audio.length / BYTES_PER_SAMPLE[ctx.format.encoding] / ctx.format.sampleRate;
    if (ctx.timestamps && !ctx.cancelled) {
      send({ type: 'timestamps', done: false, status_code: 206, context_id: contextId, word_timestamps: wordTimestamps(text, ctx.offsetS, durationS) });
    }
    ctx.offsetS += durationS;
    ctx.record.audioBytes += audio.length;
  };

  const onRequest = (req: GenerationRequest) => {
    const contextId = typeof req.context_id === 'string' ? req.context_id : '';
    if (!contextId) return fail('', 'context_id is required');
    let ctx = contexts.get(contextId);
    if (req.cancel === true) {
      if (ctx) ctx.cancelled = true;
      return;
    }
    if (!ctx) {
      const format = outputFormat(req);
      if (typeof format === 'string') return fail(contextId, format);
      const record: SpokenText = {
        transport: 'websocket', contextId, text: '', model: typeof req.model_id === 'string' ? req.model_id : null, voice: req.voice,
        language: typeof req.language === 'string' ? req.language : null, sampleRate: format.sampleRate, encoding: format.encoding,
        audioBytes: 0, ...who, complete: false,
      };
      spoken.push(record);
      ctx = { record, format, timestamps: req.add_timestamps === true, offsetS: 0, chain: Promise.resolve(), cancelled: false };
      contexts.set(contextId, ctx);
    }
    const c = ctx;
    const text = typeof req.transcript === 'string' ? req.transcript : '';
    c.record.text = `${c.record.text} ${text}`.replace(/\s+/g, ' ').trim();
    if (text.trim() !== '') c.chain = c.chain.then(() => sayInto(c, text.trim(), contextId));
    if (req.continue !== true) {
      c.chain = c.chain.then(() => {
        c.record.complete = true;
        contexts.delete(contextId);
        send({ type: 'done', done: true, status_code: 206, context_id: contextId });
      });
    }
    c.chain = c.chain.catch((err: unknown) => fail(contextId, err instanceof Error ? err.message : String(err), 500));
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return fail('', 'binary messages are not part of the protocol');
    try {
      onRequest(JSON.parse(messageBytes(data).toString('utf8')) as GenerationRequest);
    } catch (err) {
      fail('', `bad message: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

async function serveBytes(req: IncomingMessage, res: ServerResponse, speakText: Speaker, spoken: SpokenText[]): Promise<void> {
  const who = credentials(req);
  if (!who) return sendJson(res, 401, { error: 'missing X-API-Key' });
  const body = JSON.parse((await readBody(req)).toString('utf8')) as GenerationRequest;
  const format = outputFormat(body);
  if (typeof format === 'string') return sendJson(res, 400, { error: format });
  const text = typeof body.transcript === 'string' ? body.transcript.replace(/\s+/g, ' ').trim() : '';
  const audio = await speakText(text, format);
  spoken.push({
    transport: 'bytes', contextId: null, text, model: typeof body.model_id === 'string' ? body.model_id : null, voice: body.voice,
    language: typeof body.language === 'string' ? body.language : null, sampleRate: format.sampleRate, encoding: format.encoding,
    audioBytes: audio.length, ...who, complete: true,
  });
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': audio.length });
  res.end(audio);
}

export async function startCartesiaDouble(opts: CartesiaDoubleOptions = {}): Promise<CartesiaDouble> {
  const spoken: SpokenText[] = [];
  const speakText = cachedSpeaker();
  const chunkMs = opts.chunkMs ?? 100;
  const wss = new WebSocketServer({ noServer: true });
  const cert = opts.tls ? await makeLoopbackCertificate() : null;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/tts/websocket') return refuseUpgrade(socket, 404, 'Not Found');
    const who = credentials(req);
    if (!who) return refuseUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, who, speakText, chunkMs, spoken));
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/_double/spoken') return sendJson(res, 200, spoken);
    if (req.method !== 'POST' || path !== '/tts/bytes') return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
    serveBytes(req, res, speakText, spoken).catch((err: unknown) => sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) }));
  };
  const server = await startLoopbackServer({ onRequest, onUpgrade, ...(cert ? { tls: cert } : {}), ...(opts.port ? { port: opts.port } : {}) });
  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    caCertPath: cert?.certPath ?? null,
    caCert: cert?.cert ?? null,
    spoken,
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      await server.stop();
      await cert?.remove();
    },
  };
}
