// Liveness and readiness of every role (the api mounts the same router), and the small HTTP server
// of the roles that have no API (scheduler, dialer, agent, sinks). /healthz says the process is
// alive; /readyz says it can do its work now (Postgres, Redis, migrations applied, plus role
// extras such as LiveKit for the dialer) and turns 503 as soon as the role starts draining, so
// Kubernetes stops routing to it. One shape everywhere: `{ ok: true }` and `ReadinessReport`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { sql } from 'kysely';
import { RoomServiceClient } from 'livekit-server-sdk';
import { migrationsCurrent } from './db/migrate.js';
import { metricsHandler, type MetricsHandlerOptions } from './metrics-endpoint.js';
import type { Runtime } from './runtime.js';
import { withTimeout } from './timeout.js';

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; rejects with the reason otherwise. */
  run(): Promise<void>;
}

export interface ReadinessReport {
  ok: boolean;
  draining: boolean;
  checks: Record<string, { ok: boolean; ms: number; error?: string }>;
}

const CHECK_TIMEOUT_MS = 2000;

export function postgresCheck(rt: Runtime): ReadinessCheck {
  return {
    name: 'postgres',
    run: async () => {
      await sql`select 1`.execute(rt.db);
    },
  };
}

export function redisCheck(rt: Runtime): ReadinessCheck {
  return {
    name: 'redis',
    run: async () => {
      // A worker connection buffers commands while disconnected; answer from its state at once.
      if (rt.redis.status !== 'ready') throw new Error(`redis connection is ${rt.redis.status}`);
      const pong = await rt.redis.ping();
      if (pong !== 'PONG') throw new Error(`unexpected ping reply ${String(pong)}`);
    },
  };
}

export function migrationsCheck(rt: Runtime): ReadinessCheck {
  // Once current, a running process stays current: a newer schema comes with a newer image.
  let current = false;
  return {
    name: 'migrations',
    run: async () => {
      if (current) return;
      current = await migrationsCurrent(rt.db);
      if (!current) throw new Error('pending migrations: run `outdial migrate`');
    },
  };
}

/** LiveKit answers an authenticated Twirp call (the dialer cannot place calls otherwise). */
export function livekitCheck(url: string, apiKey: string, apiSecret: string): ReadinessCheck {
  const client = new RoomServiceClient(url, apiKey, apiSecret);
  return {
    name: 'livekit',
    run: async () => {
      await client.listRooms(['outdial-readyz']);
    },
  };
}

/** Postgres, Redis and migrations: what every role needs. */
export function coreChecks(rt: Runtime): ReadinessCheck[] {
  return [postgresCheck(rt), redisCheck(rt), migrationsCheck(rt)];
}

export async function runChecks(checks: readonly ReadinessCheck[], timeoutMs = CHECK_TIMEOUT_MS) {
  const results: ReadinessReport['checks'] = {};
  await Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      try {
        await withTimeout(c.run(), timeoutMs, c.name);
        results[c.name] = { ok: true, ms: Math.round(performance.now() - started) };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        results[c.name] = { ok: false, ms: Math.round(performance.now() - started), error };
      }
    }),
  );
  return results;
}

export interface HealthRouter extends Router {
  /** From now on /readyz answers 503 (called when shutdown begins). */
  setDraining(): void;
}
export type OpsRouter = HealthRouter;

/** GET /healthz and /readyz, for every role (the api mounts it on its own app). */
export function healthRouter(checks: readonly ReadinessCheck[], opts: { checkTimeoutMs?: number } = {}): HealthRouter {
  let draining = false;
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', (_req, res, next) => {
    runChecks(checks, opts.checkTimeoutMs)
      .then((results) => {
        const ok = !draining && Object.values(results).every((r) => r.ok);
        const report: ReadinessReport = { ok, draining, checks: results };
        res.status(ok ? 200 : 503).json(report);
      })
      .catch(next);
  });
  return Object.assign(router, {
    setDraining() {
      draining = true;
    },
  });
}

/** GET /metrics, /healthz and /readyz of a role without the API (startRoleHttp). */
export function opsRouter(
  rt: Runtime,
  opts: { checks?: readonly ReadinessCheck[]; metrics?: MetricsHandlerOptions } = {},
): OpsRouter {
  const health = healthRouter(opts.checks ?? coreChecks(rt));
  const router = Router();
  router.get('/metrics', metricsHandler(rt, opts.metrics));
  router.use(health);
  return Object.assign(router, { setDraining: () => health.setDraining() });
}

export interface RoleHttp {
  server: Server;
  port: number;
  setDraining(): void;
  /** Stops accepting connections and ends idle ones; resolves when the server is closed. */
  close(): Promise<void>;
}

export async function startRoleHttp(
  rt: Runtime,
  opts: {
    port: number;
    host?: string;
    checks?: readonly ReadinessCheck[];
    extraRouters?: readonly Router[];
    metrics?: MetricsHandlerOptions;
  },
): Promise<RoleHttp> {
  const app = express();
  app.disable('x-powered-by');
  const ops = opsRouter(rt, {
    ...(opts.checks ? { checks: opts.checks } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  app.use(ops);
  for (const r of opts.extraRouters ?? []) app.use(r);
  const server = createServer(app);
  // Scrapes and probes are short; a stuck client must not hold shutdown open.
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? rt.config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    setDraining: () => ops.setDraining(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/**
 * Runs `drain` once on the first of `signals`, then exits 0 (1 if it throws or outlasts
 * `timeoutMs`). A second signal exits at once with 1: an operator who presses Ctrl-C twice
 * means it. Returns a function that removes the handlers (tests, or a role stopped in-process).
 */
export function onShutdown(
  signals: readonly NodeJS.Signals[],
  drain: (signal: NodeJS.Signals) => Promise<void>,
  opts: {
    timeoutMs?: number;
    log?: Pick<Runtime['log'], 'info' | 'error'>;
    exit?: (code: number) => void;
  } = {},
): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) {
      opts.log?.error({ signal }, 'shutdown.forced');
      exit(1);
      return;
    }
    started = true;
    opts.log?.info({ signal }, 'shutdown.draining');
    const timer = setTimeout(() => {
      opts.log?.error({ signal, timeoutMs: opts.timeoutMs }, 'shutdown.timeout');
      exit(1);
    }, opts.timeoutMs ?? 30_000);
    timer.unref();
    drain(signal).then(
      () => {
        clearTimeout(timer);
        opts.log?.info({ signal }, 'shutdown.done');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        opts.log?.error({ signal, err: err instanceof Error ? err.message : String(err) }, 'shutdown.failed');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/**
 * A process's roles, stopped on SIGTERM/SIGINT: `close` drains them, then the runtime's
 * connections close, within OUTDIAL_SHUTDOWN_TIMEOUT_SECONDS.
 */
export function closeOnSignals(rt: Pick<Runtime, 'config' | 'log' | 'close'>, close: () => Promise<void>): () => void {
  return onShutdown(
    ['SIGTERM', 'SIGINT'],
    async () => {
      await close();
      await rt.close();
    },
    { log: rt.log, timeoutMs: rt.config.OUTDIAL_SHUTDOWN_TIMEOUT_SECONDS * 1000 },
  );
}
