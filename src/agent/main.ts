// The agent role: a LiveKit Agents worker dispatched explicitly as `outdial-agent`. Each job
// runs in its own child process (the framework's), so the parent's part is small: register
// with LiveKit, and relay the jobs' metrics into this process's registry for /metrics.
//   outdial agent [start]        → startAgentRole: worker + metrics relay + /metrics on OUTDIAL_AGENT_PORT (default PORT)
//   outdial agent dev|connect|…  → the framework's own CLI, same worker (no relay)
//   tsx src/agent/main.ts start  → the framework's own CLI
import { fileURLToPath } from 'node:url';
import { AgentServer, cli, defineAgent, initializeLogger, ServerOptions, type JobContext, type JobProcess, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { Registry } from 'prom-client';
import { loadAgentConfig } from '../core/agent-config.js';
import { loadConfig, requireConfig, type Config } from '../core/config.js';
import { processPool } from './process-pool.js';
import { closeOnSignals, livekitCheck, redisCheck, startRoleHttp } from '../core/health.js';
import { createLogger, type Logger } from '../core/logger.js';
import { outdialMetrics } from '../core/metrics-catalog.js';
import type { Redis } from '../core/redis.js';
import { createRuntime, type Runtime } from '../core/runtime.js';
import { callEntry } from './entry.js';
import { agentMetricsKey, drainObservations } from './metrics-relay.js';
import { withTimeout } from '../core/timeout.js';
import { freeLoopbackPort } from '../core/free-port.js';

export const AGENT_NAME = 'outdial-agent';
const METRICS_DRAIN_MS = 2000;

interface ProcData extends Record<string, unknown> {
  vad?: VAD;
}

export default defineAgent<ProcData>({
  // Loaded once per job process, before a call is assigned, so the answer is not kept waiting.
  prewarm: async (proc: JobProcess<ProcData>) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: (ctx: JobContext<ProcData>) => callEntry(ctx, ctx.proc.userData.vad),
});

export interface AgentWorkerDeps {
  config: Config;
  log: Logger;
}

export interface AgentWorker {
  /** Stops taking calls, lets calls in flight finish (up to the drain timeout), then stops. Idempotent. */
  close(): Promise<void>;
}

/** The LiveKit Agents worker: registers as `outdial-agent` and runs every dispatched job in a child process. */
export async function startAgentWorker(deps: AgentWorkerDeps): Promise<AgentWorker> {
  const c = requireConfig(deps.config, ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'], 'the agent worker');
  const agentConfig = loadAgentConfig();
  const log = deps.log.child({ role: 'agent' });
  initializeLogger({ pretty: false, level: deps.config.LOG_LEVEL === 'silent' ? 'fatal' : deps.config.LOG_LEVEL });
  const server = new AgentServer(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: AGENT_NAME,
      wsURL: c.LIVEKIT_URL,
      apiKey: c.LIVEKIT_API_KEY,
      apiSecret: c.LIVEKIT_API_SECRET,
      production: true,
      ...callCapacity(agentConfig.OUTDIAL_AGENT_MAX_CALLS),
      ...processPool(agentConfig),
      // The framework's own health server is unused (the role serves /healthz itself) but always
      // started, on 8081 when given 0: a free loopback port keeps it out of the role's way.
      host: '127.0.0.1',
      port: await freeLoopbackPort(),
    }),
  );
  const running = server.run().catch((err: Error) => log.error({ err: err.message }, 'agent.worker_failed'));
  log.info({ agentName: AGENT_NAME, url: c.LIVEKIT_URL }, 'agent.started');
  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= (async () => {
        // The framework's drain reports the worker full, then joins every job process; a warm
        // spare that runs no job yet makes that join throw at once ("runner not started",
        // agents-js 1.8), so the drain returns while calls are still up and close() would cut
        // them. The calls in flight are waited for here (the role's shutdown timeout bounds it).
        await server.drain().catch((err: Error) => log.info({ err: err.message }, 'agent.drain_returned_early'));
        if (server.activeJobs.length > 0) log.info({ calls: server.activeJobs.length }, 'agent.draining_calls');
        while (server.activeJobs.length > 0) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
        // After a drain that returned early the framework's close can wait forever on the spare
        // that never started; no call is left by now, so it is bounded.
        await withTimeout(
          Promise.all([server.close(), running]),
          WORKER_CLOSE_MS,
          'agent worker close',
        ).catch((err: Error) => log.warn({ err: err.message }, 'agent.worker_close_timeout'));
      })();
      return closing;
    },
  };
}

/**
 * livekit-server's agents `target_load` (its default, pkg/agent/config.go DefaultTargetLoad): the
 * server offers a job only to a worker whose reported load is below it, and drops the job when
 * none is (no retry; the dialer replaces such a dispatch).
 */
export const LIVEKIT_TARGET_LOAD = 0.7;

/** How often a draining worker looks whether its last calls have ended. */
const DRAIN_POLL_MS = 250;
/** How long the worker may take to close once its calls have ended. */
const WORKER_CLOSE_MS = 5_000;

/**
 * With a call limit, load is the share of it in use scaled to the server's target load, so the
 * worker reaches the target (and marks itself full) exactly at the limit. A plain share would be
 * refused from 70 % of the limit on: the server, not the worker, decides at its target load.
 */
export function callCapacity(maxCalls: number | undefined): Pick<ServerOptions, 'loadFunc' | 'loadThreshold'> | Record<string, never> {
  if (maxCalls === undefined) return {};
  return {
    loadFunc: (worker: AgentServer) =>
      Promise.resolve(LIVEKIT_TARGET_LOAD * Math.min(1, worker.activeJobs.length / maxCalls)),
    loadThreshold: LIVEKIT_TARGET_LOAD,
  };
}

export interface MetricsRelay {
  /** Stops the timer and drains what is left. Idempotent. */
  stop(): Promise<void>;
}

/** Moves the jobs' observations (metrics-relay.ts) into `registry` every couple of seconds. */
export function startMetricsRelay(deps: { redis: Redis; registry: Registry; prefix: string; log: Logger; intervalMs?: number }): MetricsRelay {
  const metrics = outdialMetrics(deps.registry);
  const key = agentMetricsKey(deps.prefix);
  const drain = () => drainObservations(deps.redis, key, metrics);
  const timer = setInterval(() => {
    drain().catch((err: Error) => deps.log.warn({ err: err.message }, 'agent.metrics_drain_failed'));
  }, deps.intervalMs ?? METRICS_DRAIN_MS);
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await drain().catch(() => 0); // best effort: Redis may be what is going away
      })();
      return stopping;
    },
  };
}

export interface AgentRole {
  /** Port of the role's /metrics, /healthz and /readyz. */
  port: number;
  /** Drains: /readyz turns 503, calls in flight finish, the last metrics are relayed, then the server stops. */
  close(): Promise<void>;
}

/**
 * The agent role: the worker, the metrics relay from its job processes, and the ops server on
 * OUTDIAL_AGENT_PORT (default PORT, like every role). The agent has no database: readiness is Redis (events, metrics) and
 * LiveKit, and /metrics runs no Postgres queries. `worker` is replaceable for tests.
 */
export async function startAgentRole(
  rt: Runtime,
  opts: { port?: number; worker?: (deps: AgentWorkerDeps) => Promise<AgentWorker> } = {},
): Promise<AgentRole> {
  const c = requireConfig(rt.config, ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'], 'the agent worker');
  const port = opts.port ?? loadAgentConfig().OUTDIAL_AGENT_PORT ?? rt.config.PORT;
  const http = await startRoleHttp(rt, {
    port,
    checks: [redisCheck(rt), livekitCheck(c.LIVEKIT_URL, c.LIVEKIT_API_KEY, c.LIVEKIT_API_SECRET)],
    metrics: { databaseGauges: false },
  });
  const relay = startMetricsRelay({ redis: rt.redis, registry: rt.registry, prefix: rt.prefix, log: rt.log });
  let worker: AgentWorker;
  try {
    worker = await (opts.worker ?? startAgentWorker)({ config: rt.config, log: rt.log });
  } catch (err) {
    await relay.stop();
    await http.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    port: http.port,
    close() {
      closing ??= (async () => {
        http.setDraining();
        await worker.close();
        await relay.stop();
        await http.close();
      })();
      return closing;
    },
  };
}

/** Subcommands that run outdial's own worker; everything else goes to the framework's CLI. */
const ROLE_COMMANDS: readonly (readonly string[])[] = [[], ['start']];

/**
 * `outdial agent [start]`: the agent role (startAgentRole) until SIGTERM/SIGINT.
 * `outdial agent <dev|connect|console|download-files|…> [options]`: the framework's CLI, which
 * reads LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (no metrics relay, no ops server).
 * The LiveKit settings are checked here first so a missing one is named in outdial's words.
 */
export async function runAgentCommand(args: string[], config: Config = loadConfig()): Promise<void> {
  requireConfig(config, ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'], 'the agent worker');
  if (ROLE_COMMANDS.some((cmd) => cmd.length === args.length && cmd.every((a, i) => a === args[i]))) {
    const rt = createRuntime(config, { log: createLogger({ level: config.LOG_LEVEL, name: 'agent' }), poolMax: 1 });
    const role = await startAgentRole(rt);
    rt.log.info({ port: role.port }, 'outdial.started');
    closeOnSignals(rt, () => role.close());
    return;
  }
  const self = fileURLToPath(import.meta.url);
  process.argv = [process.argv[0] ?? 'node', self, ...args];
  cli.runApp(new ServerOptions({ agent: self, agentName: AGENT_NAME }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: AGENT_NAME }));
}
