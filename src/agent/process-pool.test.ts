import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../core/agent-config.js';
import { processPool } from './process-pool.js';

describe('the job process pool', () => {
  it('keeps the framework defaults when nothing is set', () => {
    expect(processPool(agentConfigSchema.parse({}))).toEqual({});
    expect(processPool(agentConfigSchema.parse({ OUTDIAL_AGENT_IDLE_PROCESSES: '', OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS: '' }))).toEqual({});
  });

  it('passes the warm process count and the start timeout (seconds → ms) to the framework', () => {
    const cfg = agentConfigSchema.parse({ OUTDIAL_AGENT_IDLE_PROCESSES: '0', OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS: '60' });
    expect(processPool(cfg)).toEqual({ numIdleProcesses: 0, initializeProcessTimeout: 60_000 });
  });

  it('refuses a start timeout that is not a whole number of seconds from 1 to 600', () => {
    for (const bad of ['0', '-5', '1.5', '601', 'soon']) {
      expect(agentConfigSchema.safeParse({ OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS: bad }).success, bad).toBe(false);
    }
  });
});
