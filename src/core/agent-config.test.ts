import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from './agent-config.js';

describe('the agent configuration', () => {
  it('takes the framework’s endpointing by default: 500 ms, 3 s when the turn seems unfinished', () => {
    const c = loadAgentConfig({});
    expect(c.OUTDIAL_AGENT_MIN_ENDPOINTING_MS).toBe(500);
    expect(c.OUTDIAL_AGENT_MAX_ENDPOINTING_MS).toBe(3000);
  });

  it('reads the endpointing wait from the environment', () => {
    const c = loadAgentConfig({ OUTDIAL_AGENT_MIN_ENDPOINTING_MS: '250', OUTDIAL_AGENT_MAX_ENDPOINTING_MS: '1200' });
    expect([c.OUTDIAL_AGENT_MIN_ENDPOINTING_MS, c.OUTDIAL_AGENT_MAX_ENDPOINTING_MS]).toEqual([250, 1200]);
  });

  it('refuses a longest wait shorter than the shortest, naming the variable', () => {
    expect(() => loadAgentConfig({ OUTDIAL_AGENT_MIN_ENDPOINTING_MS: '800', OUTDIAL_AGENT_MAX_ENDPOINTING_MS: '400' })).toThrow(
      /OUTDIAL_AGENT_MAX_ENDPOINTING_MS: must be at least OUTDIAL_AGENT_MIN_ENDPOINTING_MS/,
    );
  });

  it('refuses a wait that is not a whole number of milliseconds', () => {
    expect(() => loadAgentConfig({ OUTDIAL_AGENT_MIN_ENDPOINTING_MS: 'soon' })).toThrow(/OUTDIAL_AGENT_MIN_ENDPOINTING_MS/);
  });
});
