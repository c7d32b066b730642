// Entry point of the api role: serves createApp on PORT/HOST and closes gracefully (stop
// accepting, let requests in flight finish within a deadline, then drop what is left).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRoleHttp, type RoleHttp } from '../core/health.js';
import type { Runtime } from '../core/runtime.js';
import { createApp, type ApiOptions } from './app.js';

export interface ApiHandle {
  server: Server;
  url: string;
  /** The separate /metrics listener when OUTDIAL_METRICS_PORT is set. */
  metrics: RoleHttp | null;
  /** /readyz answers 503 from now on (shutdown has begun). */
  setDraining(): void;
  close(): Promise<void>;
}

export async function startApi(
  rt: Runtime,
  opts: ApiOptions & {
    port?: number;
    host?: string;
    closeTimeoutMs?: number;
    requestTimeoutMs?: number;
  } = {},
): Promise<ApiHandle> {
  if (!rt.config.OUTDIAL_ENCRYPTION_KEY) {
    rt.log.warn({ key: 'OUTDIAL_ENCRYPTION_KEY' }, 'api.dev_encryption_key_in_use');
  }
  if (!rt.config.OUTDIAL_ADMIN_TOKEN) rt.log.warn('api.admin_token_unset: POST /v1/orgs will answer 401');
  const app = createApp(rt, opts);
  const port = opts.port ?? rt.config.PORT;
  const host = opts.host ?? rt.config.HOST;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // Node's 5-minute default would cut off a large CSV upload on a slow link mid-import.
  server.requestTimeout = opts.requestTimeoutMs ?? 30 * 60_000;
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  rt.log.info({ url }, 'api.listening');
  const metricsPort = rt.config.OUTDIAL_METRICS_PORT;
  let metrics: RoleHttp | null = null;
  try {
    if (metricsPort !== undefined) metrics = await startRoleHttp(rt, { port: metricsPort, host });
  } catch (err) {
    server.close();
    throw err;
  }
  if (metrics) rt.log.info({ port: metrics.port }, 'api.metrics_listening');
  return {
    server,
    url,
    metrics,
    setDraining: () => {
      app.setDraining();
      metrics?.setDraining();
    },
    async close() {
      await metrics?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive socket turns idle only when its request ends: sweep until all are gone,
      // rather than waiting out keepAliveTimeout.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), opts.closeTimeoutMs ?? 10_000);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
      rt.log.info('api.closed');
    },
  };
}
