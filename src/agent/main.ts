// The agent role: a LiveKit Agents worker dispatched explicitly as `outdial-agent`. Each job
// runs in its own child process (the framework's), so the parent's part is small: register
// with LiveKit, and relay the jobs' metrics into this process's registry for /metrics.
//   outdial agent            → startAgentWorker(...) (wired by src/cli.ts)
//   tsx src/agent/main.ts start → the framework's own CLI, same worker
import { fileURLToPath } from 'node:url';
import { AgentServer, cli, defineAgent, initializeLogger, ServerOptions, type JobContext, type JobProcess, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { Registry } from 'prom-client';
import { loadConfig, requireConfig, type Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { outdialMetrics } from '../core/metrics-catalog.js';
import type { Redis } from '../core/redis.js';
import { callEntry } from './entry.js';
import { agentMetricsKey, drainObservations } from './metrics-relay.js';

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
  /** Where the jobs' metrics are relayed from (same Redis and prefix the jobs use). */
  redis: Redis;
  registry: Registry;
}

export interface AgentWorker {
  /** Stops taking calls, lets calls in flight finish (up to the drain timeout), then stops. Idempotent. */
  close(): Promise<void>;
}

export function startAgentWorker(deps: AgentWorkerDeps): AgentWorker {
  const c = requireConfig(deps.config, ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'], 'the agent worker');
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
      // The role's own health server uses the default ports; the framework's gets a free one.
      port: 0,
    }),
  );
  const metrics = outdialMetrics(deps.registry);
  const key = agentMetricsKey(deps.config.OUTDIAL_REDIS_PREFIX);
  const drain = setInterval(() => {
    drainObservations(deps.redis, key, metrics).catch((err: Error) => log.warn({ err: err.message }, 'agent.metrics_drain_failed'));
  }, METRICS_DRAIN_MS);
  const running = server.run().catch((err: Error) => log.error({ err: err.message }, 'agent.worker_failed'));
  log.info({ agentName: AGENT_NAME, url: c.LIVEKIT_URL }, 'agent.started');
  let closing: Promise<void> | null = null;
  return {
    close() {
      closing ??= (async () => {
        clearInterval(drain);
        await server.drain().catch((err: Error) => log.warn({ err: err.message }, 'agent.drain_failed'));
        await server.close();
        await running;
        await drainObservations(deps.redis, key, metrics).catch(() => 0);
      })();
      return closing;
    },
  };
}

/**
 * `outdial agent [-- args]`: hands over to the framework's CLI (default subcommand `start`),
 * which reads LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET. Checked here first so a
 * missing one is named in outdial's words. Metrics relay needs startAgentWorker instead.
 */
export function runAgentWorker(args: string[], config: Config = loadConfig()): Promise<void> {
  requireConfig(config, ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'], 'the agent worker');
  const self = fileURLToPath(import.meta.url);
  process.argv = [process.argv[0] ?? 'node', self, ...(args.length > 0 ? args : ['start'])];
  cli.runApp(new ServerOptions({ agent: self, agentName: AGENT_NAME }));
  return Promise.resolve();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: AGENT_NAME }));
}
