// One loopback listener per double: HTTP requests and WebSocket upgrades on a free port of
// 127.0.0.1, optionally TLS on the same port (the first byte of a connection tells a TLS
// ClientHello, 0x16, from plain HTTP). stop() ends open sockets too, so no test waits for a
// client's keep-alive to time out.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { RawData } from 'ws';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface LoopbackServerOptions {
  onRequest: RequestListener;
  onUpgrade?: UpgradeListener;
  /** PEM key and certificate: when given, TLS clients are served on the same port. */
  tls?: { key: string; cert: string };
  /** A fixed port for manual use; 0 (the default) picks a free one. */
  port?: number;
}

export interface LoopbackServer {
  port: number;
  stop(): Promise<void>;
}

const TLS_HANDSHAKE = 0x16;

function wire(server: Server, opts: LoopbackServerOptions): Server {
  server.on('request', opts.onRequest);
  if (opts.onUpgrade) server.on('upgrade', opts.onUpgrade);
  return server;
}

/**
 * The socket as a plain stream that first replays the byte already read. TLS reads a net socket
 * through its native handle, past anything unshifted, so it gets a handle-less stream instead.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const proxy = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  proxy.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!proxy.push(chunk)) socket.pause();
  });
  socket.on('end', () => proxy.push(null));
  socket.on('error', (err) => proxy.destroy(err));
  socket.on('close', () => proxy.destroy());
  return proxy;
}

export async function startLoopbackServer(opts: LoopbackServerOptions): Promise<LoopbackServer> {
  const http = wire(createHttpServer(), opts);
  const https = opts.tls ? wire(createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }), opts) : null;
  const sockets = new Set<Socket>();
  const listener = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (https && first[0] === TLS_HANDSHAKE) {
        https.emit('connection', replaying(socket, first));
        return;
      }
      socket.unshift(first);
      http.emit('connection', socket);
      socket.resume();
    });
  });
  listener.listen(opts.port ?? 0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;
  return {
    port,
    async stop() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      http.closeAllConnections();
      https?.closeAllConnections();
      await closed;
    },
  };
}

export async function readBody(req: IncomingMessage, limitBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new Error(`request body over ${limitBytes} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Refuses an upgrade the way an HTTP server does: a status line, then the socket is closed. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, body = ''): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** A WebSocket message's bytes, whichever form `ws` delivered them in. */
export function messageBytes(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
