// OpenAI chat-completions wire format for the LLM double: the request as the openai SDK (v6,
// under @livekit/agents-plugin-openai 1.8.1) sends it, scripted replies, and the answers built
// from them: SSE `chat.completion.chunk`s (text deltas, tool_calls deltas with arguments in
// fragments, finish_reason, the usage chunk when stream_options.include_usage) or one
// `chat.completion`. Pure.
import { z } from 'zod';

const contentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const message = z
  .object({
    role: z.string(),
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
    tool_calls: z.array(z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }) }).passthrough()).optional(),
    tool_call_id: z.string().optional(),
  })
  .passthrough();

export const chatRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    tools: z.array(z.object({ type: z.string(), function: z.object({ name: z.string() }).passthrough() }).passthrough()).nullish(),
    tool_choice: z.unknown().optional(),
    response_format: z.object({ type: z.string(), json_schema: z.object({ name: z.string() }).passthrough().optional() }).passthrough().nullish(),
  })
  .passthrough();
export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = ChatRequest['messages'][number];

export const chatReplySchema = z.object({
  text: z.string().optional(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]), id: z.string().optional() })).optional(),
  /** Structured output: sent as the message content, JSON-encoded. */
  json: z.unknown().optional(),
  /** Time to first token, to give turns a known latency. */
  delayMs: z.number().int().min(0).optional(),
});
export type ChatReply = z.infer<typeof chatReplySchema>;

export const chatErrorSchema = z.object({
  error: z.object({ status: z.number().int().min(400).max(599), message: z.string(), type: z.string().optional(), code: z.string().nullable().optional() }),
});
export type ChatError = z.infer<typeof chatErrorSchema>;

export function isChatError(x: ChatReply | ChatError): x is ChatError {
  return 'error' in x;
}

export function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  return (m.content ?? []).map((p) => p.text ?? '').join('');
}

export function lastUserText(req: ChatRequest): string {
  const user = req.messages.filter((m) => m.role === 'user').at(-1);
  return user ? messageText(user) : '';
}

export function systemText(req: ChatRequest): string {
  return req.messages.filter((m) => m.role === 'system' || m.role === 'developer').map(messageText).join('\n');
}

/** The tool whose result is the last message, if the conversation just ran one. */
export function lastToolResultName(req: ChatRequest): string | null {
  const last = req.messages.at(-1);
  if (last?.role !== 'tool') return null;
  for (const m of req.messages) {
    const call = m.tool_calls?.find((c) => c.id === last.tool_call_id);
    if (call) return call.function.name;
  }
  return null;
}

export function offeredTools(req: ChatRequest): string[] {
  return (req.tools ?? []).map((t) => t.function.name);
}

interface Built {
  content: string | null;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: 'stop' | 'tool_calls';
}

function build(reply: ChatReply, callId: (i: number) => string): Built {
  const content = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? null);
  const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? callId(i),
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
  }));
  return { content, toolCalls, finishReason: toolCalls.length ? 'tool_calls' : 'stop' };
}

/** Rough token counts (4 characters a token), enough for usage metrics to be non-zero. */
function usage(req: ChatRequest, b: Built) {
  const prompt = Math.ceil(JSON.stringify(req.messages).length / 4);
  const completion = Math.ceil(((b.content ?? '').length + JSON.stringify(b.toolCalls).length) / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export interface Envelope {
  id: string;
  created: number;
  callId: (i: number) => string;
}

export function completion(req: ChatRequest, reply: ChatReply, env: Envelope) {
  const b = build(reply, env.callId);
  const tool_calls = b.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return {
    id: env.id,
    object: 'chat.completion',
    created: env.created,
    model: req.model,
    choices: [{ index: 0, message: { role: 'assistant', content: b.content, refusal: null, ...(tool_calls.length ? { tool_calls } : {}) }, logprobs: null, finish_reason: b.finishReason }],
    usage: usage(req, b),
    system_fingerprint: null,
  };
}

/** Splits text into stream deltas: each word with the space that follows it. */
export function textDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function fragments(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** The chunks of a streamed answer, in order (each becomes one `data:` line). */
export function completionChunks(req: ChatRequest, reply: ChatReply, env: Envelope): object[] {
  const b = build(reply, env.callId);
  const withUsage = req.stream_options?.include_usage === true;
  const chunk = (choices: object[], extra: object = {}) => ({
    id: env.id, object: 'chat.completion.chunk', created: env.created, model: req.model, system_fingerprint: null, choices, ...(withUsage ? { usage: null } : {}), ...extra,
  });
  const delta = (d: object, finish: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  const out: object[] = [delta({ role: 'assistant', content: '', refusal: null })];
  for (const piece of textDeltas(b.content ?? '')) out.push(delta({ content: piece }));
  b.toolCalls.forEach((c, index) => {
    out.push(delta({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const part of fragments(c.arguments, 12)) out.push(delta({ tool_calls: [{ index, function: { arguments: part } }] }));
  });
  out.push(delta({}, b.finishReason));
  if (withUsage) out.push(chunk([], { usage: usage(req, b) }));
  return out;
}

export function errorBody(e: ChatError) {
  return { error: { message: e.error.message, type: e.error.type ?? 'server_error', param: null, code: e.error.code ?? null } };
}
