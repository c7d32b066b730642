// The agent role process: its job processes' metrics (pushed to Redis, metrics-relay.ts) reach
// the role's own /metrics, which needs no database, beside /healthz and /readyz. The LiveKit
// worker is replaced by a stub here; test/livekit/pipeline.test.ts runs the real one.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { agentMetricsKey, redisObserver } from '../../src/agent/metrics-relay.js';
import { callCapacity, startAgentRole, type AgentRole, type AgentWorkerDeps } from '../../src/agent/main.js';
import { allQueues } from '../../src/core/queue-set.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

describe('the agent role', () => {
  let rt: TestRuntime;
  let role: AgentRole;
  const workers: AgentWorkerDeps[] = [];
  let workerClosed = 0;

  beforeAll(async () => {
    rt = await createTestRuntime('agent_role', {
      // The agent has no database: nothing it serves may need one.
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing',
      // Nothing listens there: readiness must say so.
      LIVEKIT_URL: 'http://127.0.0.1:1',
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: 'secret',
    });
    role = await startAgentRole(rt, {
      port: 0,
      worker: (deps) => {
        workers.push(deps);
        return Promise.resolve({
          close: () => {
            workerClosed += 1;
            return Promise.resolve();
          },
        });
      },
    });
  });
  afterAll(async () => {
    await role.close();
    await Promise.all(allQueues(rt).map((q) => q.waitUntilReady()));
    await rt.teardown();
  });

  const url = () => `http://127.0.0.1:${role.port}`;

  it('starts the worker with the process configuration', () => {
    expect(workers).toHaveLength(1);
    expect(workers[0]?.config.LIVEKIT_URL).toBe('http://127.0.0.1:1');
  });

  it('relays AMD decisions, turn latency and session errors from job processes to its /metrics', async () => {
    const job = redisObserver(rt.redis, agentMetricsKey(rt.prefix), (err) => {
      throw err;
    });
    job.observe({ metric: 'amd_decision', result: 'machine', seconds: 2.2 });
    job.observe({ metric: 'turn_latency', seconds: 0.45 });
    job.observe({ metric: 'session_error', kind: 'stt' });
    const text = await waitFor(
      async () => {
        const res = await request(url()).get('/metrics').expect(200);
        return res.text.includes('outdial_agent_session_errors_total{kind="stt"} 1') ? res.text : null;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'the relayed observations on /metrics' },
    );
    expect(text).toMatch(/^outdial_amd_decision_seconds_count\{result="machine"\} 1$/m);
    expect(text).toMatch(/^outdial_amd_decision_seconds_bucket\{le="2\.5",result="machine"\} 1$/m);
    expect(text).toMatch(/^outdial_turn_latency_seconds_count 1$/m);
    expect(text).toMatch(/^outdial_turn_latency_seconds_sum 0\.45$/m);
    expect(await rt.redis.llen(agentMetricsKey(rt.prefix))).toBe(0);
  });

  it('answers /healthz, and /readyz on Redis and LiveKit only (no Postgres check)', async () => {
    await request(url()).get('/healthz').expect(200, { ok: true });
    const res = await request(url()).get('/readyz').expect(503);
    expect(Object.keys((res.body as { checks: object }).checks).sort()).toEqual(['livekit', 'redis']);
    expect(res.body).toMatchObject({ ok: false, draining: false, checks: { redis: { ok: true }, livekit: { ok: false } } });
  });

  it('on close, drains the worker and relays what the jobs pushed last', async () => {
    redisObserver(rt.redis, agentMetricsKey(rt.prefix), (err) => {
      throw err;
    }).observe({ metric: 'turn_latency', seconds: 0.3 });
    await waitFor(async () => (await rt.redis.llen(agentMetricsKey(rt.prefix))) === 1, { what: 'the push' });
    const { outdialMetrics } = await import('../../src/core/metrics-catalog.js');
    await role.close();
    expect(workerClosed).toBe(1);
    const latency = await outdialMetrics(rt.registry).turnLatency.get();
    expect(latency.values.find((v) => v.metricName === 'outdial_turn_latency_seconds_count')?.value).toBe(2);
  });
});

describe('the agent role’s port', () => {
  it('serves on OUTDIAL_AGENT_PORT when no port is given', async () => {
    const rt = await createTestRuntime('agent_port', {
      LIVEKIT_URL: 'http://127.0.0.1:1',
      LIVEKIT_API_KEY: 'devkey',
      LIVEKIT_API_SECRET: 'secret',
    });
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const saved = process.env.OUTDIAL_AGENT_PORT;
    process.env.OUTDIAL_AGENT_PORT = String(port);
    try {
      const role = await startAgentRole(rt, { worker: () => Promise.resolve({ close: () => Promise.resolve() }) });
      try {
        expect(role.port).toBe(port);
        await request(`http://127.0.0.1:${port}`).get('/healthz').expect(200, { ok: true });
      } finally {
        await role.close();
      }
    } finally {
      if (saved === undefined) delete process.env.OUTDIAL_AGENT_PORT;
      else process.env.OUTDIAL_AGENT_PORT = saved;
      await rt.teardown();
    }
  });
});

describe('the agent worker’s load', () => {
  it('is the host CPU (the framework’s own measure) unless a call limit is set', () => {
    expect(callCapacity(undefined)).toEqual({});
  });

  it('with OUTDIAL_AGENT_MAX_CALLS, stays under livekit-server’s target load until the limit, and reaches it there', async () => {
    const { loadFunc, loadThreshold } = callCapacity(4) as { loadFunc: (w: unknown) => Promise<number>; loadThreshold: number };
    expect(loadThreshold).toBe(0.7);
    const load = (active: number) => loadFunc({ activeJobs: Array.from({ length: active }, (_, i) => i) });
    expect(await load(0)).toBe(0);
    // The server offers a job while load < 0.7 (agentservice.go JobRequestAffinity): 3 of 4 still takes one.
    expect(await load(3)).toBeLessThan(0.7);
    expect(await load(4)).toBeCloseTo(0.7, 10);
    expect(await load(4)).toBeGreaterThanOrEqual(loadThreshold);
    expect(await load(5)).toBeCloseTo(0.7, 10);
  });
});
