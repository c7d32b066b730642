// Sits between livekit-server and outdial's `POST /livekit/webhook`: forwards every request
// untouched (raw body, the server's own Authorization JWT) and records what the server sent and
// what outdial answered, so a test can see which real, signed events outdial accepted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TappedWebhook {
  event: string;
  room: string | null;
  /** disconnectReason: as the server names it on participant_left (e.g. "CLIENT_INITIATED"). */
  participant: { identity: string; kind: string | null; disconnectReason: string | null } | null;
  /** outdial's answer: 200 for a verified event. */
  status: number;
  signed: boolean;
}

export interface WebhookTap {
  url: string;
  received: TappedWebhook[];
  close(): Promise<void>;
}

interface WireEvent {
  event?: string;
  room?: { name?: string };
  participant?: { identity?: string; kind?: string; disconnectReason?: string };
}

export async function startWebhookTap(target: string): Promise<WebhookTap> {
  const received: TappedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = req.headers.authorization;
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/webhook+json', ...(auth ? { authorization: auth } : {}) },
        body,
      })
        .then(async (answer) => {
          const ev = JSON.parse(body.toString('utf8')) as WireEvent;
          received.push({
            event: ev.event ?? '',
            room: ev.room?.name ?? null,
            participant: ev.participant?.identity
              ? { identity: ev.participant.identity, kind: ev.participant.kind ?? null, disconnectReason: ev.participant.disconnectReason ?? null }
              : null,
            status: answer.status,
            signed: typeof auth === 'string' && auth.split('.').length === 3,
          });
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
        })
        .catch((err: Error) => res.writeHead(502).end(err.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/livekit/webhook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
