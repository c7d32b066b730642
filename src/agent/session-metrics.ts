// Turn latency from the session's own measurements: the time from the end of the callee's
// speech to the agent's first audio. The framework reports it on each assistant message
// (e2eLatency); older paths report only its parts, which are summed.
import type { llm } from '@livekit/agents';
import type { SessionErrorKind } from './metrics-relay.js';

type MetricsReport = llm.ChatMessage['metrics'];

export function turnLatencySeconds(m: MetricsReport | undefined): number | null {
  if (!m) return null;
  if (typeof m.e2eLatency === 'number' && m.e2eLatency >= 0) return m.e2eLatency;
  const parts = [m.endOfTurnDelay, m.llmNodeTtft, m.ttsNodeTtfb];
  if (parts.some((p) => typeof p !== 'number')) return null;
  return parts.reduce<number>((s, p) => s + (p ?? 0), 0);
}

/** The metric's kind for a session error event: which provider failed. */
export function sessionErrorKind(error: { type?: unknown } | null | undefined): SessionErrorKind {
  switch (error?.type) {
    case 'stt_error':
      return 'stt';
    case 'llm_error':
    case 'realtime_model_error':
      return 'llm';
    case 'tts_error':
      return 'tts';
    default:
      return 'other';
  }
}
