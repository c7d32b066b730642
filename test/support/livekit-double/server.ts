// A local stand-in for livekit-server's Twirp JSON API (`POST /twirp/livekit.<Service>/<Method>`),
// enough for the dialer and the agent: rooms, SIP trunks, calls and transfers, agent dispatch,
// room-composite egress.
// Every request is recorded (also the rejected ones) so tests can assert what was sent and
// how often; faults and holds let a test fail or freeze any method at a chosen moment.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenVerifier } from 'livekit-server-sdk';
import { authorize, isMethodKey, type MethodKey } from './auth.js';
import type { DialAnswer } from './dial-table.js';
import { sendJson, sendTwirpError, twirpHttpStatus, TwirpFault, type TwirpErrorBody } from './twirp.js';
import { emptyState, idSequence, str, type DoubleState, type JsonObject } from './state.js';
import * as rooms from './rooms.js';
import * as sip from './sip.js';
import * as agentsEgress from './agents-egress.js';
import { postSignedWebhook, type WebhookEventJson } from './webhook.js';

export interface RecordedRequest {
  /** `Service/Method`, e.g. `SIP/CreateSIPParticipant`. */
  method: string;
  body: JsonObject;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status answered; undefined while the request is still being served. */
  status?: number;
  error?: TwirpErrorBody;
}

export interface Hold {
  /** Resolves with the first held request once it arrives. */
  arrived: Promise<RecordedRequest>;
  /** Lets every held request (and later ones) through. */
  release(): void;
}

export interface LiveKitDouble {
  /** `http://127.0.0.1:<port>`, usable as the SDK's host. */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly state: DoubleState;
  readonly requests: readonly RecordedRequest[];
  calls(method: MethodKey): RecordedRequest[];
  /** Overrides the dial table for one destination number. */
  setDialAnswer(number: string, answer: DialAnswer): void;
  /** CreateSIPParticipant to `number` answers only after `ms` (to trigger client timeouts). */
  setDialDelay(number: string, ms: number): void;
  /** Whether a dispatched agent joins its room (default true; false: no worker takes the job). */
  setAgentJoins(joins: boolean): void;
  /** The next `times` calls of `method` fail with `error` (after the auth check). */
  failNext(method: MethodKey, error: TwirpErrorBody, times?: number): void;
  /** Calls of `method` wait until released. */
  hold(method: MethodKey): Hold;
  postWebhook(url: string, event: WebhookEventJson): Promise<Response>;
  close(): Promise<void>;
}

export interface LiveKitDoubleOptions {
  apiKey?: string;
  apiSecret?: string;
}

type Handler = (body: JsonObject) => JsonObject;

export async function startLiveKitDouble(options: LiveKitDoubleOptions = {}): Promise<LiveKitDouble> {
  const apiKey = options.apiKey ?? 'devkey';
  const apiSecret = options.apiSecret ?? 'double-secret-with-enough-length-for-hs256';
  const verifier = new TokenVerifier(apiKey, apiSecret);
  const state = emptyState();
  const nextId = idSequence();
  const requests: RecordedRequest[] = [];
  const dialOverrides = new Map<string, DialAnswer>();
  const dialDelays = new Map<string, number>();
  let agentJoins = true;
  const faults = new Map<MethodKey, { error: TwirpErrorBody; remaining: number }>();
  const holds = new Map<MethodKey, { gate: Promise<void>; onArrive: (r: RecordedRequest) => void }>();
  // Resolvers of waits in progress; close() settles them so no wait outlives the double.
  const pendingWaits = new Set<() => void>();

  const handlers: Record<MethodKey, Handler> = {
    'RoomService/CreateRoom': (b) => rooms.createRoom(state, b, nextId),
    'RoomService/DeleteRoom': (b) => rooms.deleteRoom(state, b),
    'RoomService/ListRooms': (b) => rooms.listRooms(state, b),
    'RoomService/ListParticipants': (b) => rooms.listParticipants(state, b),
    'RoomService/RemoveParticipant': (b) => rooms.removeParticipant(state, b),
    'SIP/CreateSIPOutboundTrunk': (b) => sip.createOutboundTrunk(state, b, nextId),
    'SIP/ListSIPOutboundTrunk': (b) => sip.listOutboundTrunks(state, b),
    'SIP/CreateSIPParticipant': (b) => sip.createSipParticipant(state, b, nextId, dialOverrides),
    'SIP/TransferSIPParticipant': (b) => sip.transferSipParticipant(state, b),
    'AgentDispatchService/CreateDispatch': (b) => agentsEgress.createDispatch(state, b, nextId, agentJoins),
    'AgentDispatchService/ListDispatch': (b) => agentsEgress.listDispatch(state, b),
    'AgentDispatchService/DeleteDispatch': (b) => agentsEgress.deleteDispatch(state, b),
    'Egress/StartRoomCompositeEgress': (b) => agentsEgress.startRoomCompositeEgress(state, b, nextId),
    'Egress/StopEgress': (b) => agentsEgress.stopEgress(state, b),
  };

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
  ): Promise<JsonObject> {
    const method = record.method;
    if (req.method !== 'POST' || !isMethodKey(method)) {
      throw new TwirpFault('bad_route', `no handler for ${req.method ?? ''} ${req.url ?? ''}`);
    }
    await authorize(verifier, req.headers.authorization, method, record.body);
    const held = holds.get(method);
    if (held) {
      held.onArrive(record);
      await Promise.race([held.gate, aborted(res)]);
    }
    const fault = faults.get(method);
    if (fault && fault.remaining > 0) {
      fault.remaining -= 1;
      throw new TwirpFault(fault.error.code, fault.error.msg, fault.error.meta);
    }
    if (method === 'SIP/CreateSIPParticipant') {
      const delay = dialDelays.get(str(record.body, 'sipCallTo'));
      if (delay !== undefined) await sleep(delay, res);
    }
    // Like a Twirp handler whose request context was cancelled: a client that gave up (timeout,
    // killed process) gets no side effects, so a late answer cannot re-create a deleted room.
    if (res.closed) throw new TwirpFault('canceled', 'client went away');
    return handlers[method](record.body);
  }

  /** Resolves when the client goes away or the double closes, so no wait outlives its request. */
  function aborted(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        pendingWaits.delete(done);
        resolve();
      };
      pendingWaits.add(done);
      res.once('close', done);
    });
  }

  function sleep(ms: number, res: ServerResponse): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    return Promise.race([elapsed, aborted(res)]).finally(() => clearTimeout(timer));
  }

  const server = createServer((req, res) => {
    const method = (req.url ?? '').replace(/^\/twirp\/livekit\./, '');
    const record: RecordedRequest = { method, body: {}, at: Date.now() };
    requests.push(record);
    readJson(req)
      .then((body) => {
        record.body = body;
        return serve(req, res, record);
      })
      .then((payload) => {
        record.status = 200;
        if (!res.writableEnded) sendJson(res, 200, payload);
      })
      .catch((err: unknown) => {
        const fault =
          err instanceof TwirpFault ? err : new TwirpFault('internal', `double failed: ${String(err)}`);
        record.error = fault.body;
        record.status = twirpHttpStatus[fault.body.code];
        if (!res.writableEnded && !res.destroyed) sendTwirpError(res, fault.body);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    apiSecret,
    state,
    requests,
    calls: (method) => requests.filter((r) => r.method === method),
    setDialAnswer: (number, answer) => void dialOverrides.set(number, answer),
    setDialDelay: (number, ms) => void dialDelays.set(number, ms),
    setAgentJoins: (joins) => {
      agentJoins = joins;
    },
    failNext: (method, error, times = 1) => void faults.set(method, { error, remaining: times }),
    hold(method) {
      let release!: () => void;
      let onArrive!: (r: RecordedRequest) => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const arrived = new Promise<RecordedRequest>((resolve) => (onArrive = resolve));
      holds.set(method, { gate, onArrive });
      return {
        arrived,
        release: () => {
          holds.delete(method);
          release();
        },
      };
    },
    postWebhook: (url, event) => postSignedWebhook(url, apiKey, apiSecret, event),
    async close() {
      for (const settle of [...pendingWaits]) settle();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonObject;
  } catch {
    // Falls through to the Twirp `malformed` answer below, which is what the test needs to see.
  }
  throw new TwirpFault('malformed', 'request body is not a JSON object');
}
