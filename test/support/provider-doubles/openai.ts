// OpenAI-compatible chat completions on loopback, as @livekit/agents-plugin-openai 1.8.1 calls
// it with `baseURL`: POST {baseURL}/chat/completions (streamed SSE, stream_options.include_usage)
// and GET {baseURL}/models (the plugin's prewarm). Non-streamed answers and structured output
// (response_format) are served too. Every request body is recorded; the reply comes from the
// test's rule: a function of the request, or declarative rules (openai-rules.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, startLoopbackServer } from './loopback-server.js';
import { chatRequestSchema, completion, completionChunks, errorBody, isChatError, type ChatError, type ChatReply, type ChatRequest } from './openai-chat.js';
import { chatRulesSchema, DEFAULT_REPLY, replyFromRules } from './openai-rules.js';

export type ChatReplier = (req: ChatRequest) => ChatReply | ChatError | Promise<ChatReply | ChatError>;

export interface ChatRecord {
  path: string;
  body: ChatRequest;
  apiKey: string;
  /** What the double answered (null for a request it refused). */
  reply: ChatReply | ChatError | null;
}

export interface OpenAIDouble {
  /** http://127.0.0.1:PORT/v1 — the plugin's `baseURL` (OPENAI_BASE_URL). */
  baseUrl: string;
  readonly requests: readonly ChatRecord[];
  setReply(reply: ChatReplier): void;
  stop(): Promise<void>;
}

export interface OpenAIDoubleOptions {
  reply?: ChatReplier;
  port?: number;
}

function apiKeyOf(req: IncomingMessage): string | null {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function writeSse(res: ServerResponse, chunks: object[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end('data: [DONE]\n\n');
}

function apiError(res: ServerResponse, status: number, message: string, type: string, code: string | null = null): void {
  sendJson(res, status, errorBody({ error: { status, message, type, code } }));
}

export async function startOpenAIDouble(opts: OpenAIDoubleOptions = {}): Promise<OpenAIDouble> {
  const requests: ChatRecord[] = [];
  let replier: ChatReplier = opts.reply ?? (() => DEFAULT_REPLY);

  const chat = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const apiKey = apiKeyOf(req);
    if (!apiKey) return apiError(res, 401, 'You didn’t provide an API key.', 'invalid_request_error', 'invalid_api_key');
    const parsed = chatRequestSchema.safeParse(JSON.parse((await readBody(req)).toString('utf8')));
    if (!parsed.success) return apiError(res, 400, parsed.error.message, 'invalid_request_error');
    const body = parsed.data;
    const record: ChatRecord = { path, body, apiKey, reply: null };
    requests.push(record);
    const reply = await replier(body);
    record.reply = reply;
    if (isChatError(reply)) return sendJson(res, reply.error.status, errorBody(reply));
    if (reply.delayMs) await wait(reply.delayMs);
    const id = `chatcmpl-${randomUUID()}`;
    const env = { id, created: Math.floor(Date.now() / 1000), callId: (i: number) => `call_${requests.length}_${i}` };
    if (body.stream) return writeSse(res, completionChunks(body, reply, env));
    sendJson(res, 200, completion(body, reply, env));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const route = `${req.method} ${path}`;
    const fail = (err: unknown) => apiError(res, 400, err instanceof Error ? err.message : String(err), 'invalid_request_error');
    if (route === 'POST /v1/chat/completions' || route === 'POST /chat/completions') return void chat(req, res, path).catch(fail);
    if (route === 'GET /v1/models' || route === 'GET /models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'gpt-4.1-mini', object: 'model', created: 0, owned_by: 'provider-double' }] });
    }
    if (route === 'GET /_double/requests') return sendJson(res, 200, requests);
    if (route === 'PUT /_double/rules') {
      readBody(req)
        .then((body) => {
          replier = replyFromRules(chatRulesSchema.parse(JSON.parse(body.toString('utf8'))));
          res.writeHead(204).end();
        })
        .catch(fail);
      return;
    }
    apiError(res, 404, `Unknown request URL: ${route}`, 'invalid_request_error', 'unknown_url');
  };

  const server = await startLoopbackServer({ onRequest, ...(opts.port ? { port: opts.port } : {}) });
  return {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    setReply(next) {
      replier = next;
    },
    stop: () => server.stop(),
  };
}
