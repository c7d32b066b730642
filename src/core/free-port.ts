// A TCP port on loopback that nothing listens on right now: bound to port 0, read, released. Used
// where a process must name a port before it starts a server (the agent framework's own health
// server, demo services, test and bench processes).
import { createServer } from 'node:net';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const addr = probe.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
