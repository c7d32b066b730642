// Every outdial metric in one place: names, help, label names and buckets. Roles take typed
// handles from `outdialMetrics(registry)`; registration goes through metricOnce, so several
// roles in one process (and a role that registered a metric itself with the same label names)
// share one instance. Labels stay bounded: outcome, status, result, org id, never a contact or
// a batch. Dashboards and alerts are checked against this catalog (test/ops/metric-names.test.ts).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import { metricOnce } from './metrics.js';

const P = 'outdial_';

export interface OutdialMetrics {
  /** Attempts finished, by contract outcome (`completed`, `busy`, `failed`, …). Incremented by sinks. */
  callsTotal: Counter<'outcome'>;
  /** Calls in flight per org id (attempts not finished); refreshed at scrape time from Postgres. */
  activeCalls: Gauge<'org'>;
  /** Per-org concurrency limit, for orgs with a running batch; refreshed at scrape time. */
  orgConcurrencyLimit: Gauge<'org'>;
  /** OUTDIAL_MAX_ACTIVE_CALLS: the fleet-wide cap. */
  maxActiveCalls: Gauge;
  /** Due time (next_attempt_at) → dial job enqueued. Observed by schedulers. */
  admissionLatency: Histogram;
  /** Dial job picked up → SIP participant created (or the call failed). Observed by the dialer. */
  dialSetup: Histogram;
  /** Call answered → AMD verdict, by result (`human`, `machine`, `uncertain`). Observed by the agent. */
  amdDecision: Histogram<'result'>;
  /** End of the callee's speech → first agent audio (two-way sessions). Observed by the agent. */
  turnLatency: Histogram;
  /** Agent session errors by kind (`stt`, `llm`, `tts`, `room`, `other`). Incremented by the agent. */
  agentSessionErrors: Counter<'kind'>;
  /** Answered call length by campaign mode (`one_way`, `two_way`). Observed by sinks. */
  callDuration: Histogram<'mode'>;
  /** Retries scheduled, by the outcome that caused them. Incremented by sinks. */
  retriesScheduled: Counter<'outcome'>;
  /** Webhook delivery attempts by status (`succeeded`, `failed` = will retry, `dead` = gave up). Sinks. */
  webhookDeliveries: Counter<'status'>;
  /** One HTTP delivery attempt, request to response. Observed by sinks. */
  webhookDelivery: Histogram;
  /** Attempts not finished long after they should have been (ring + max call + margin); refreshed at scrape time. */
  attemptsStuck: Gauge;
}

/** Names of every metric the catalog registers (for tests and docs). */
export const outdialMetricNames = [
  'calls_total',
  'active_calls',
  'org_concurrency_limit',
  'max_active_calls',
  'admission_latency_seconds',
  'dial_setup_seconds',
  'amd_decision_seconds',
  'turn_latency_seconds',
  'agent_session_errors_total',
  'call_duration_seconds',
  'retries_scheduled_total',
  'webhook_deliveries_total',
  'webhook_delivery_seconds',
  'attempts_stuck',
].map((n) => P + n);

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  const full = P + name;
  return metricOnce(registry, full, () => new Counter<L>({ name: full, help, labelNames, registers: [registry] }));
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  const full = P + name;
  return metricOnce(registry, full, () => new Gauge<L>({ name: full, help, labelNames, registers: [registry] }));
}

function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
) {
  const full = P + name;
  return metricOnce(
    registry,
    full,
    () => new Histogram<L>({ name: full, help, labelNames, buckets, registers: [registry] }),
  );
}

/** Registers (once) and returns every outdial metric on `registry`. */
export function outdialMetrics(registry: Registry): OutdialMetrics {
  return {
    callsTotal: counter(registry, 'calls_total', 'Attempts finished, by outcome', ['outcome']),
    activeCalls: gauge(registry, 'active_calls', 'Calls in flight per org', ['org']),
    orgConcurrencyLimit: gauge(registry, 'org_concurrency_limit', 'Concurrency limit of orgs with a running batch', [
      'org',
    ]),
    maxActiveCalls: gauge(registry, 'max_active_calls', 'Fleet-wide cap on calls in flight', []),
    admissionLatency: histogram(registry, 'admission_latency_seconds', 'Contact due to dial job enqueued', [], [
      0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300,
    ]),
    dialSetup: histogram(registry, 'dial_setup_seconds', 'Dial job start to SIP participant created', [], [
      0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60,
    ]),
    amdDecision: histogram(registry, 'amd_decision_seconds', 'Answer to AMD verdict', ['result'], [
      0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10,
    ]),
    turnLatency: histogram(registry, 'turn_latency_seconds', 'End of callee speech to first agent audio', [], [
      0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 5,
    ]),
    agentSessionErrors: counter(registry, 'agent_session_errors_total', 'Agent session errors by kind', ['kind']),
    callDuration: histogram(registry, 'call_duration_seconds', 'Answered call length', ['mode'], [
      5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800,
    ]),
    retriesScheduled: counter(registry, 'retries_scheduled_total', 'Retries scheduled, by causing outcome', [
      'outcome',
    ]),
    webhookDeliveries: counter(registry, 'webhook_deliveries_total', 'Webhook delivery attempts by status', [
      'status',
    ]),
    webhookDelivery: histogram(registry, 'webhook_delivery_seconds', 'One webhook HTTP delivery attempt', [], [
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]),
    attemptsStuck: gauge(registry, 'attempts_stuck', 'Attempts open well past their maximum call time', []),
  };
}

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/**
 * The registry's text plus BullMQ's gauges for every queue. Each queue's export repeats the
 * HELP/TYPE lines; a Prometheus parser rejects a family declared twice, so samples are merged
 * under one header per family.
 */
export async function renderMetrics(registry: Registry, queues: readonly Queue[]): Promise<string> {
  const [own, ...exports] = await Promise.all([
    registry.metrics(),
    ...queues.map((q) => q.exportPrometheusMetrics()),
  ]);
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const text of exports) {
    for (const line of text.split('\n')) {
      const header = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (header) {
        const f = family(header[2] ?? '');
        if (header[1] === 'HELP') f.help ??= header[3];
        else f.type ??= header[3];
      } else if (line.trim() !== '') {
        family(/^[^{\s]+/.exec(line)?.[0] ?? '').samples.push(line);
      }
    }
  }
  const merged: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== undefined) merged.push(`# HELP ${name} ${f.help}`);
    if (f.type !== undefined) merged.push(`# TYPE ${name} ${f.type}`);
    merged.push(...f.samples);
  }
  return `${own.trimEnd()}\n${merged.join('\n')}\n`;
}
