// /healthz, /readyz and /metrics of a role without an API, against the local Postgres and Redis
// and against a Redis that is not there.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import express from 'express';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startRoleHttp, onShutdown, type ReadinessReport, type RoleHttp } from '../../src/core/health.js';
import { outdialMetrics } from '../../src/core/metrics-catalog.js';
import { countStuckAttempts, metricsHandler, SCRAPE_CACHE_MS } from '../../src/core/metrics-endpoint.js';
import { queueNames } from '../../src/core/queues.js';
import { allQueues } from '../../src/core/queue-set.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('a role with Postgres and Redis up', () => {
  let rt: TestRuntime;
  let http: RoleHttp;
  beforeAll(async () => {
    rt = await createTestRuntime('ops_health');
    // These tests change the data and scrape at once; the reuse of query results is tested below.
    http = await startRoleHttp(rt, { port: 0, metrics: { cacheMs: 0 } });
  });
  afterAll(async () => {
    await http.close();
    // BullMQ drops a queue's listeners on close; a connection still initialising would then fail unhandled.
    await Promise.all(allQueues(rt).map((q) => q.waitUntilReady()));
    await rt.teardown();
  });

  it('answers /healthz and /readyz with 200 and names each check', async () => {
    await request(http.server).get('/healthz').expect(200);
    // The Redis connection may still be handshaking right after start-up.
    const res = await waitFor(async () => {
      const r = await request(http.server).get('/readyz');
      return r.status === 200 ? r : null;
    }, { what: '/readyz 200' });
    expect(res.body).toMatchObject({ ok: true, checks: { postgres: { ok: true }, redis: { ok: true }, migrations: { ok: true } } });
  });

  it('serves the contract metrics and BullMQ gauges for every queue, each family declared once', async () => {
    outdialMetrics(rt.registry).callsTotal.inc({ outcome: 'completed' });
    const res = await request(http.server).get('/metrics').expect(200);
    const text = res.text;
    expect(text).toContain('outdial_calls_total{outcome="completed"} 1');
    expect(text).toContain('outdial_attempts_stuck 0');
    expect(text).toMatch(/^outdial_process_\w*cpu_user_seconds_total /m);
    for (const q of Object.values(queueNames)) expect(text).toContain(`bullmq_job_count{queue="${q}", state="waiting"}`);
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
  });

  it('reports calls in flight, org limits and stuck attempts from Postgres at scrape time', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 7 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const batch = await insertBatch(rt.db, org.id, campaign.id);
    const [c1, c2] = await insertContacts(rt.db, org.id, batch.id, 2);
    const attempt = (contactId: string, queuedAt: Date) => ({
      org_id: org.id, campaign_id: campaign.id, batch_id: batch.id, contact_id: contactId, attempt: 1,
      status: 'in_progress' as const, queued_at: queuedAt,
    });
    // Default ring 30 s + max call 300 s + 600 s margin: two hours ago is stuck, now is not.
    await rt.db.insertInto('attempts').values([attempt(c1!.id, new Date(Date.now() - 2 * 3600_000)), attempt(c2!.id, new Date())]).execute();
    const text = (await request(http.server).get('/metrics').expect(200)).text;
    expect(text).toContain(`outdial_active_calls{org="${org.id}"} 2`);
    expect(text).toContain(`outdial_org_concurrency_limit{org="${org.id}"} 7`);
    expect(text).toContain('outdial_attempts_stuck 1');
  });

  it('ages a stuck attempt from the start of dialling, as the reconciler does', async () => {
    const { org } = await insertOrg(rt.db);
    const { campaign } = await insertCampaign(rt.db, org.id);
    const batch = await insertBatch(rt.db, org.id, campaign.id);
    const [c1, c2] = await insertContacts(rt.db, org.id, batch.id, 2);
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    const attempt = (contactId: string, startedAt: Date) => ({
      org_id: org.id, campaign_id: campaign.id, batch_id: batch.id, contact_id: contactId, attempt: 1,
      status: 'in_progress' as const, queued_at: longAgo, started_at: startedAt,
    });
    const before = await countStuckAttempts(rt.db);
    // Both waited two hours in the dial queue; only the one that began dialling then is stuck.
    await rt.db.insertInto('attempts').values([attempt(c1!.id, longAgo), attempt(c2!.id, new Date())]).execute();
    expect((await countStuckAttempts(rt.db)) - before).toBe(1);
  });

  it('turns /readyz to 503 once the role starts draining', async () => {
    http.setDraining();
    const res = await request(http.server).get('/readyz').expect(503);
    expect(res.body).toMatchObject({ ok: false, draining: true });
  });
});

describe('a role whose Redis is down', () => {
  let rt: TestRuntime;
  let http: RoleHttp;
  beforeAll(async () => {
    rt = await createTestRuntime('ops_noredis', { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    http = await startRoleHttp(rt, { port: 0 });
  });
  afterAll(async () => {
    await http.close();
    await rt.teardown();
  });

  it('answers /readyz with 503 naming redis, while Postgres still passes', async () => {
    const res = await request(http.server).get('/readyz').expect(503);
    const report = res.body as ReadinessReport;
    expect(report.checks.redis?.ok).toBe(false);
    expect(report.checks.postgres?.ok).toBe(true);
  });

  it('still serves its own metrics without the queue gauges', async () => {
    const res = await request(http.server).get('/metrics').expect(200);
    expect(res.text).toContain('outdial_calls_total');
    expect(res.text).not.toContain('bullmq_job_count');
  });
});

describe('scrape-time queries', () => {
  let rt: TestRuntime;
  let queries = 0;
  let clock = 0;
  let app: express.Express;
  beforeAll(async () => {
    rt = await createTestRuntime('ops_scrape_cache');
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        queries++;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    app = express();
    app.get('/metrics', metricsHandler({ ...rt, db: rt.db.withPlugin(counting) }, { now: () => clock }));
  });
  afterAll(async () => {
    await Promise.all(allQueues(rt).map((q) => q.waitUntilReady()));
    await rt.teardown();
  });

  it('run once for concurrent scrapes and scrapes within a few seconds, again after', async () => {
    const scrape = () => request(app).get('/metrics').expect(200);
    await Promise.all([scrape(), scrape()]);
    expect(queries).toBe(3);
    const { org } = await insertOrg(rt.db, { maxConcurrency: 4 });
    await insertBatch(rt.db, org.id, (await insertCampaign(rt.db, org.id)).campaign.id, { status: 'running' });
    queries = 0;
    clock += SCRAPE_CACHE_MS - 1;
    expect((await scrape()).text).not.toContain(org.id);
    expect(queries).toBe(0);
    clock += 1;
    expect((await scrape()).text).toContain(`outdial_org_concurrency_limit{org="${org.id}"} 4`);
    expect(queries).toBe(3);
  });
});

describe('/metrics with OUTDIAL_METRICS_TOKEN', () => {
  const token = createHash('sha256').update('metrics token').digest('base64url');
  let rt: TestRuntime;
  let http: RoleHttp;
  beforeAll(async () => {
    rt = await createTestRuntime('ops_metrics_token', { OUTDIAL_METRICS_TOKEN: token });
    http = await startRoleHttp(rt, { port: 0 });
  });
  afterAll(async () => {
    await http.close();
    await Promise.all(allQueues(rt).map((q) => q.waitUntilReady()));
    await rt.teardown();
  });

  it('answers only a scraper that sends the token, on every role and on the api', async () => {
    const { createApp } = await import('../../src/producers/app.js');
    for (const server of [http.server, createApp(rt)]) {
      const refused = await request(server).get('/metrics').expect(401);
      expect(refused.body).toEqual({ error: { code: 'unauthorized', message: 'metrics need the bearer token OUTDIAL_METRICS_TOKEN' } });
      expect(refused.headers['www-authenticate']).toBe('Bearer');
      expect(refused.text).not.toContain('outdial_');
      await request(server).get('/metrics').set('authorization', `Bearer ${token}x`).expect(401);
      const ok = await request(server).get('/metrics').set('authorization', `Bearer ${token}`).expect(200);
      expect(ok.text).toContain('outdial_calls_total');
    }
    // Probes stay open: the kubelet sends no token.
    await request(http.server).get('/healthz').expect(200);
  });
});

describe('onShutdown', () => {
  it('drains once on the first signal, then exits 0', async () => {
    const codes: number[] = [];
    let drains = 0;
    const off = onShutdown(['SIGUSR2'], () => Promise.resolve(void drains++), { exit: (c) => void codes.push(c) });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await waitFor(() => codes.length > 0, { what: 'exit' });
      expect({ drains, codes }).toEqual({ drains: 1, codes: [0] });
    } finally {
      off();
    }
  });

  it('exits 1 at once on a second signal while still draining', async () => {
    const codes: number[] = [];
    let release = () => undefined as void;
    const off = onShutdown(['SIGUSR2'], () => new Promise<void>((r) => (release = r)), { exit: (c) => void codes.push(c) });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(codes).toEqual([1]);
      release();
      await waitFor(() => codes.length > 1, { what: 'drain end' });
    } finally {
      off();
    }
  });
});
