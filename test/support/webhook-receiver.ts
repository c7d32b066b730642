// A real local HTTP receiver for outdial's webhooks. It verifies every request with the
// `standardwebhooks` package (as a customer would), answers what the test scripts, and can go
// down and come back on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  attempt: number;
  verified: boolean;
  body: Record<string, unknown> | null;
  headers: Record<string, string>;
  status: number | 'hang';
}

/** What to answer to the n-th request (1-based) for one webhook id. 'hang' never answers. */
export type Responder = (id: string, n: number) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  received: Received[];
  respond: Responder;
  /** Ids answered 2xx after a valid signature, with how many times each. */
  successes(): Map<string, number>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  secret: string,
  respond: Responder = () => 200,
): Promise<WebhookReceiver> {
  const wh = new Webhook(secret);
  const counts = new Map<string, number>();
  const hung: ServerResponse[] = [];
  let server: Server | null = null;
  let port = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      const id = headers['webhook-id'] ?? '';
      let verified = false;
      let body: Record<string, unknown> | null = null;
      try {
        body = wh.verify(raw, headers) as Record<string, unknown>;
        verified = true;
      } catch {
        // An unverifiable request is recorded as such and answered 400: tests assert on `verified`.
      }
      const n = (counts.get(id) ?? 0) + 1;
      counts.set(id, n);
      const status = verified ? rx.respond(id, n) : 400;
      rx.received.push({ id, attempt: n, verified, body, headers, status });
      if (status === 'hang') hung.push(res);
      else res.writeHead(status).end();
    });
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

  await listen(0);
  const rx: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received: [],
    respond,
    successes() {
      const out = new Map<string, number>();
      for (const r of rx.received) {
        if (r.verified && typeof r.status === 'number' && r.status < 300)
          out.set(r.id, (out.get(r.id) ?? 0) + 1);
      }
      return out;
    },
    down: stop,
    up: () => listen(port),
    close: stop,
  };
  return rx;
}
