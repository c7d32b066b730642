// A local webhook consumer, as a downstream system would run one: it verifies every delivery
// with the `standardwebhooks` package and dedupes by webhook id. The demo, the end-to-end test
// and the chaos run use it to prove every event arrived, signed, exactly once after dedupe.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  attemptId: string | null;
  batchId: string | null;
  data: Record<string, unknown>;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  /** First verified delivery of each webhook id. */
  events: Map<string, ReceivedEvent>;
  stats: { verified: number; duplicates: number; invalidSignatures: number; refused: number };
  /** While down, the receiver answers 503 without looking at the request. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebhookReceiver(secret: string, opts: { port?: number } = {}): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const events = new Map<string, ReceivedEvent>();
  const stats = { verified: 0, duplicates: 0, invalidSignatures: 0, refused: 0 };
  let down = false;

  const server: Server = createServer((req, res) => {
    if (down) {
      stats.refused++;
      res.writeHead(503).end();
      return;
    }
    readBody(req)
      .then((body) => {
        const headers = {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        };
        let payload: Record<string, unknown>;
        try {
          payload = verifier.verify(body, headers) as Record<string, unknown>;
        } catch {
          stats.invalidSignatures++; // a forged or corrupted delivery: refuse it, as a consumer must
          res.writeHead(401).end();
          return;
        }
        stats.verified++;
        const id = headers['webhook-id'];
        if (events.has(id)) stats.duplicates++;
        else
          events.set(id, {
            id,
            type: String(payload.type),
            attemptId: (payload.attemptId as string | null) ?? null,
            batchId: (payload.batchId as string | null) ?? null,
            data: (payload.data as Record<string, unknown>) ?? {},
            receivedAt: Date.now(),
          });
        res.writeHead(204).end();
      })
      .catch(() => res.writeHead(400).end());
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    events,
    stats,
    setDown: (d) => {
      down = d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
