// Every metric a dashboard or an alert queries must exist in the registry the code builds
// (createRegistry + the catalog), or be one of BullMQ's exported gauges or Prometheus's own `up`.
// A renamed metric would otherwise leave an empty panel or an alert that can never fire.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRegistry } from '../../src/core/metrics.js';
import { outdialMetrics, outdialMetricNames } from '../../src/core/metrics-catalog.js';

const root = join(import.meta.dirname, '..', '..');
const bullmqNames = new Set(['bullmq_job_count', 'bullmq_job_completed_total', 'bullmq_job_failed_total']);
const prometheusNames = new Set(['up']);
const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers left after removing strings, label matchers, ranges, grouping clauses and function calls. */
function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)) {
    const [word] = m;
    if (m[1] === '(' || keywords.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

async function registryNames(): Promise<Map<string, string>> {
  const registry = createRegistry();
  outdialMetrics(registry);
  const out = new Map<string, string>();
  for (const m of await registry.getMetricsAsJSON()) out.set(m.name, String(m.type));
  return out;
}

function dashboardExprs(): { where: string; expr: string }[] {
  const dir = join(root, 'grafana', 'dashboards');
  const out: { where: string; expr: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dash = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    for (const p of dash.panels) for (const t of p.targets ?? []) out.push({ where: `${file}: ${p.title}`, expr: t.expr });
  }
  return out;
}

function alertExprs(): { where: string; expr: string }[] {
  const doc = parse(readFileSync(join(root, 'prometheus', 'alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

/** `x_bucket`, `x_sum`, `x_count` of a histogram resolve to `x`. */
function known(name: string, registry: Map<string, string>): boolean {
  if (registry.has(name) || bullmqNames.has(name) || prometheusNames.has(name)) return true;
  const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
  return base !== undefined && ['histogram', 'summary'].includes(registry.get(base) ?? '');
}

describe('metric names in dashboards and alerts', () => {
  it('extracts metric names from PromQL and nothing else', () => {
    expect(
      promqlMetricNames('sum by (le, result) (rate(outdial_amd_decision_seconds_bucket{result="machine"}[$__rate_interval])) / on(job) group_left up'),
    ).toEqual(['outdial_amd_decision_seconds_bucket', 'up']);
    expect(promqlMetricNames('histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) > 20 and y_total > 0.05')).toEqual(['x_bucket', 'y_total']);
  });

  it('finds every dashboard and alert metric in the registry the code builds', async () => {
    const registry = await registryNames();
    const exprs = [...dashboardExprs(), ...alertExprs()];
    expect(exprs.length).toBeGreaterThan(20);
    const unknown = exprs.flatMap(({ where, expr }) =>
      promqlMetricNames(expr).filter((n) => !known(n, registry)).map((n) => `${where}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it('registers every catalog metric under the outdial_ prefix, with the contract metrics among them', async () => {
    const registry = await registryNames();
    for (const name of outdialMetricNames) expect(registry.has(name), name).toBe(true);
    for (const name of [
      'outdial_calls_total', 'outdial_active_calls', 'outdial_admission_latency_seconds', 'outdial_dial_setup_seconds',
      'outdial_amd_decision_seconds', 'outdial_webhook_deliveries_total', 'outdial_webhook_delivery_seconds',
      'outdial_turn_latency_seconds', 'outdial_attempts_stuck',
    ]) expect(outdialMetricNames).toContain(name);
  });

  it('covers each alert the issue asks for', () => {
    const joined = alertExprs().map((a) => a.expr).join('\n');
    for (const needle of ['outdial_dial_setup_seconds_bucket', 'outcome="failed"', 'bullmq_job_count', 'status="dead"', 'outdial_attempts_stuck', 'up{job=~"outdial-.+"} == 0']) {
      expect(joined).toContain(needle);
    }
  });

  it('points every dashboard panel at the provisioned Prometheus datasource', () => {
    const ds = parse(readFileSync(join(root, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: { uid: string }[];
    };
    const uid = ds.datasources[0]?.uid;
    for (const file of ['campaigns.json', 'agents.json', 'webhooks.json']) {
      const dash = JSON.parse(readFileSync(join(root, 'grafana', 'dashboards', file), 'utf8')) as { panels: { datasource: { uid: string } }[] };
      expect(dash.panels.length).toBeGreaterThan(0);
      for (const p of dash.panels) expect(p.datasource.uid).toBe(uid);
    }
  });
});
