import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { outdialMetrics } from '../core/metrics-catalog.js';
import { agentMetricsKey, parseObservation, recordObservation } from './metrics-relay.js';
import { sessionErrorKind, turnLatencySeconds } from './session-metrics.js';
import { chooseProviders } from './providers.js';
import { agentConfigSchema } from '../core/agent-config.js';

describe('agent metrics relay', () => {
  it('accepts only well-formed observations', () => {
    expect(parseObservation('{"metric":"amd_decision","result":"machine","seconds":2.5}')).toEqual({
      metric: 'amd_decision',
      result: 'machine',
      seconds: 2.5,
    });
    expect(parseObservation('{"metric":"turn_latency","seconds":0.8}')).toEqual({ metric: 'turn_latency', seconds: 0.8 });
    expect(parseObservation('{"metric":"session_error","kind":"tts"}')).toEqual({ metric: 'session_error', kind: 'tts' });
    for (const bad of ['{"metric":"session_error","kind":"disk"}', '{"metric":"session_error"}', 'nope', '{"metric":"amd_decision","result":"robot","seconds":1}', '{"metric":"turn_latency","seconds":-1}', '{"metric":"x","seconds":1}']) {
      expect(parseObservation(bad)).toBeNull();
    }
  });

  it('lands observations in the catalog histograms with the result label', async () => {
    const registry = new Registry();
    const metrics = outdialMetrics(registry);
    recordObservation(metrics, { metric: 'amd_decision', result: 'human', seconds: 1.2 });
    recordObservation(metrics, { metric: 'turn_latency', seconds: 0.7 });
    recordObservation(metrics, { metric: 'session_error', kind: 'llm' });
    const text = await registry.metrics();
    expect(text).toMatch(/outdial_agent_session_errors_total\{kind="llm"\} 1/);
    expect(text).toMatch(/outdial_amd_decision_seconds_count\{result="human"\} 1/);
    expect(text).toMatch(/outdial_turn_latency_seconds_count 1/);
  });

  it('keeps its list inside outdial’s own key space', () => {
    expect(agentMetricsKey('outdial')).toBe('outdial:od:agent-metrics');
  });
});

describe('turn latency', () => {
  it('prefers the end-to-end figure and otherwise sums its parts', () => {
    expect(turnLatencySeconds({ e2eLatency: 0.9, endOfTurnDelay: 0.2 })).toBe(0.9);
    expect(turnLatencySeconds({ endOfTurnDelay: 0.2, llmNodeTtft: 0.3, ttsNodeTtfb: 0.1 })).toBeCloseTo(0.6);
    expect(turnLatencySeconds({ endOfTurnDelay: 0.2 })).toBeNull();
    expect(turnLatencySeconds(undefined)).toBeNull();
  });
});

describe('session error kind', () => {
  it('names the provider whose error the session reported', () => {
    expect(sessionErrorKind({ type: 'stt_error' })).toBe('stt');
    expect(sessionErrorKind({ type: 'llm_error' })).toBe('llm');
    expect(sessionErrorKind({ type: 'realtime_model_error' })).toBe('llm');
    expect(sessionErrorKind({ type: 'tts_error' })).toBe('tts');
    expect(sessionErrorKind({ type: 'interruption_detection_error' })).toBe('other');
    expect(sessionErrorKind(null)).toBe('other');
  });
});

describe('provider choice', () => {
  it('takes the campaign’s voice settings over the environment defaults', () => {
    const env = agentConfigSchema.parse({});
    expect(chooseProviders({}, env)).toEqual({ sttModel: 'nova-3', llmModel: 'gpt-4.1-mini', ttsModel: 'sonic-2', ttsVoice: undefined, language: 'en' });
    expect(chooseProviders({ llmModel: 'gpt-4o', ttsVoice: 'v1', language: 'es' }, env)).toMatchObject({ llmModel: 'gpt-4o', ttsVoice: 'v1', language: 'es' });
  });
});
