// The bench's webhook receiver, in its own process so that verifying signatures does not share
// an event loop with the sinks under test. It verifies each request with `standardwebhooks`
// and records when each webhook id first arrived (epoch ms, sub-millisecond).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

const secret = process.env.BENCH_WEBHOOK_SECRET ?? '';
const send = (m: unknown) => process.send?.(m);
const wh = new Webhook(secret);
const arrivals = new Map<string, number>();
let invalid = 0;
const now = () => performance.timeOrigin + performance.now();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    const headers = req.headers as Record<string, string>;
    try {
      wh.verify(Buffer.concat(chunks).toString('utf8'), headers);
    } catch {
      // Counted and answered 400; the bench reports the count (it must be 0).
      invalid++;
      res.writeHead(400).end();
      return;
    }
    const id = headers['webhook-id'] ?? '';
    if (!arrivals.has(id)) arrivals.set(id, at);
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  send({ kind: 'listening', port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { kind: string }) => {
  if (m.kind === 'report') send({ kind: 'report', arrivals: [...arrivals], invalid });
  if (m.kind === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
