// The worker's pool of job processes as configured (agent-config.ts): how many are kept warm, and
// how long one may take to start. Unset settings are left out, so the framework's defaults hold.
import type { ServerOptions } from '@livekit/agents';
import type { AgentConfig } from '../core/agent-config.js';

export function processPool(
  cfg: Pick<AgentConfig, 'OUTDIAL_AGENT_IDLE_PROCESSES' | 'OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS'>,
): Partial<Pick<ServerOptions, 'numIdleProcesses' | 'initializeProcessTimeout'>> {
  const idle = cfg.OUTDIAL_AGENT_IDLE_PROCESSES;
  const startS = cfg.OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS;
  return {
    ...(idle === undefined ? {} : { numIdleProcesses: idle }),
    ...(startS === undefined ? {} : { initializeProcessTimeout: startS * 1_000 }),
  };
}
