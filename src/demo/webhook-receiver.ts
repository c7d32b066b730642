// A local webhook consumer, as a downstream system would run one: it verifies every delivery with
// the `standardwebhooks` package and dedupes by webhook id. The one receiver of the demo, the
// tests, the chaos run and the webhook benchmark: it answers what `respond` says (tests script
// failures and hangs with it), can refuse everything (`setDown`: 503) or stop listening and come
// back on the same port (`down`/`up`), and keeps every request when asked (`keepRequests`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  attemptId: string | null;
  batchId: string | null;
  data: Record<string, unknown>;
  /** Epoch milliseconds, sub-millisecond (the benchmark measures delivery latency with it). */
  receivedAt: number;
}

/** One request as it came, with what it was answered. */
export interface Received {
  id: string;
  /** 1-based count of requests for this webhook id. */
  attempt: number;
  verified: boolean;
  body: Record<string, unknown> | null;
  headers: Record<string, string>;
  status: number | 'hang';
}

/** What to answer to the n-th request (1-based) for one verified webhook id. 'hang' never answers. */
export type Responder = (id: string, n: number) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  /** First delivery of each webhook id that was verified and answered 2xx. */
  events: Map<string, ReceivedEvent>;
  stats: { verified: number; duplicates: number; invalidSignatures: number; refused: number };
  /** Every request, when started with `keepRequests` (empty otherwise). */
  received: Received[];
  respond: Responder;
  /** Ids answered 2xx after a valid signature, with how many times each. */
  successes(): Map<string, number>;
  /** While down, the receiver answers 503 without looking at the request. */
  setDown(down: boolean): void;
  /** Stops listening (connections refused) until `up`, which listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  port?: number;
  /** Default: 204 to every verified request. */
  respond?: Responder;
  keepRequests?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
}

const now = () => performance.timeOrigin + performance.now();

export async function startWebhookReceiver(secret: string, opts: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const counts = new Map<string, number>();
  const accepted = new Map<string, number>();
  const hung: ServerResponse[] = [];
  let refusing = false;
  let server: Server | null = null;
  let port = opts.port ?? 0;

  const answer = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const at = now();
    const headers = headersOf(req);
    const id = headers['webhook-id'] ?? '';
    let body: Record<string, unknown> | null = null;
    try {
      body = verifier.verify(raw, headers) as Record<string, unknown>;
    } catch {
      // A forged or corrupted delivery: refused, as a consumer must.
    }
    const n = (counts.get(id) ?? 0) + 1;
    counts.set(id, n);
    const status = body ? rx.respond(id, n) : 401;
    if (opts.keepRequests) rx.received.push({ id, attempt: n, verified: body !== null, body, headers, status });
    if (!body) rx.stats.invalidSignatures++;
    else rx.stats.verified++;
    if (body && typeof status === 'number' && status < 300) {
      accepted.set(id, (accepted.get(id) ?? 0) + 1);
      if (rx.events.has(id)) rx.stats.duplicates++;
      else
        rx.events.set(id, {
          id,
          type: String(body.type),
          attemptId: (body.attemptId as string | null) ?? null,
          batchId: (body.batchId as string | null) ?? null,
          data: (body.data as Record<string, unknown>) ?? {},
          receivedAt: at,
        });
    }
    if (status === 'hang') hung.push(res);
    else res.writeHead(status).end();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (refusing) {
      rx.stats.refused++;
      res.writeHead(503).end();
      return;
    }
    readBody(req).then(
      (raw) => answer(req, res, raw),
      () => res.writeHead(400).end(),
    );
  };

  const listen = (p: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer(handle);
      s.keepAliveTimeout = 60_000;
      s.once('error', reject);
      s.listen(p, '127.0.0.1', () => {
        server = s;
        port = (s.address() as AddressInfo).port;
        resolve();
      });
    });

  const stop = async (): Promise<void> => {
    const s = server;
    server = null;
    if (!s) return;
    for (const r of hung.splice(0)) r.destroy();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen(port);
  const rx: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    events: new Map(),
    stats: { verified: 0, duplicates: 0, invalidSignatures: 0, refused: 0 },
    received: [],
    respond: opts.respond ?? (() => 204),
    successes: () => new Map(accepted),
    setDown: (d) => {
      refusing = d;
    },
    down: stop,
    up: () => listen(port),
    close: stop,
  };
  return rx;
}
