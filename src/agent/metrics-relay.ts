// Agent metrics across processes. LiveKit runs every job in its own child process, which no
// scrape reaches, so a job pushes its observations to a Redis list and the worker's parent
// process (the one serving /metrics) drains the list into outdial_amd_decision_seconds,
// outdial_turn_latency_seconds and outdial_agent_session_errors_total. The list is capped and
// expires, so a dead parent leaks nothing.
import { keyspace, type Redis } from '../core/redis.js';
import type { OutdialMetrics } from '../core/metrics-catalog.js';
import type { AmdResult } from './amd/types.js';

/** The `kind` label of outdial_agent_session_errors_total. */
export const sessionErrorKinds = ['stt', 'llm', 'tts', 'room', 'other'] as const;
export type SessionErrorKind = (typeof sessionErrorKinds)[number];

export type AgentObservation =
  | { metric: 'amd_decision'; result: AmdResult; seconds: number }
  | { metric: 'turn_latency'; seconds: number }
  | { metric: 'session_error'; kind: SessionErrorKind };

type RelayedMetrics = Pick<OutdialMetrics, 'amdDecision' | 'turnLatency' | 'agentSessionErrors'>;

export interface AgentObserver {
  observe(o: AgentObservation): void;
}

const MAX_QUEUED = 10_000;

export const agentMetricsKey = (prefix: string): string => keyspace(prefix).key('agent-metrics');
const TTL_SECONDS = 3600;

export function parseObservation(text: string): AgentObservation | null {
  try {
    const o = JSON.parse(text) as Partial<{ metric: string; result: string; seconds: number; kind: string }>;
    if (o.metric === 'session_error') {
      const kind = sessionErrorKinds.find((k) => k === o.kind);
      return kind ? { metric: 'session_error', kind } : null;
    }
    if (typeof o.seconds !== 'number' || !Number.isFinite(o.seconds) || o.seconds < 0) return null;
    if (o.metric === 'turn_latency') return { metric: 'turn_latency', seconds: o.seconds };
    if (o.metric === 'amd_decision' && (o.result === 'human' || o.result === 'machine' || o.result === 'uncertain')) {
      return { metric: 'amd_decision', result: o.result, seconds: o.seconds };
    }
    return null;
  } catch {
    // A malformed entry is dropped: it can only come from a foreign writer to our key.
    return null;
  }
}

export function recordObservation(metrics: RelayedMetrics, o: AgentObservation): void {
  if (o.metric === 'amd_decision') metrics.amdDecision.observe({ result: o.result }, o.seconds);
  else if (o.metric === 'turn_latency') metrics.turnLatency.observe(o.seconds);
  else metrics.agentSessionErrors.inc({ kind: o.kind });
}

/** Job side: fire-and-forget pushes; a failed push is logged, never fails the call. */
export function redisObserver(redis: Redis, key: string, onError: (err: Error) => void): AgentObserver {
  return {
    observe(o) {
      redis
        .multi()
        .rpush(key, JSON.stringify(o))
        .ltrim(key, -MAX_QUEUED, -1)
        .expire(key, TTL_SECONDS)
        .exec()
        .catch(onError);
    },
  };
}

/** Parent side: moves everything queued into the registry; returns how many were read. */
export async function drainObservations(
  redis: Redis,
  key: string,
  metrics: RelayedMetrics,
): Promise<number> {
  const items = (await redis.lpop(key, 1000)) ?? [];
  for (const text of items) {
    const o = parseObservation(text);
    if (o) recordObservation(metrics, o);
  }
  return items.length;
}
