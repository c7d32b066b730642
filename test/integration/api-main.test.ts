// The api role's entry point: listens, reports readiness honestly, and closes gracefully.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/producers/app.js';
import { startApi } from '../../src/producers/main.js';
import { insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await createTestRuntime('api_main');
});
afterAll(async () => {
  await rt.teardown();
});

describe('startApi', () => {
  it('serves on the given port and stops accepting connections once closed', async () => {
    const api = await startApi(rt, { port: 0, host: '127.0.0.1' });
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    await api.close();
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });

  it('lets a request in flight finish before closing', async () => {
    const { apiKey } = await insertOrg(rt.db);
    const api = await startApi(rt, { port: 0, host: '127.0.0.1' });
    const { port } = api.server.address() as AddressInfo;
    const body = JSON.stringify({ phones: ['+12025550123'] });
    const arrived = new Promise((resolve) => api.server.once('request', resolve));
    let closing: Promise<void> | undefined;
    const response = new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/v1/dnc',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(body.slice(0, 5));
      // Half the body is sent; the rest goes out only after close() has begun.
      void arrived.then(() => {
        closing = api.close();
        req.end(body.slice(5));
      });
    });
    expect(await response).toBe(201);
    await closing;
  });
});

describe('OUTDIAL_METRICS_PORT', () => {
  it('moves /metrics off the API port onto its own listener', async () => {
    const own = await createTestRuntime('api_metrics_port', { OUTDIAL_METRICS_PORT: '0' });
    try {
      const api = await startApi(own, { port: 0, host: '127.0.0.1' });
      try {
        expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
        expect(api.metrics).not.toBeNull();
        const metrics = await fetch(`http://127.0.0.1:${api.metrics!.port}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('outdial_calls_total');
      } finally {
        await api.close();
      }
      await expect(fetch(`http://127.0.0.1:${api.metrics!.port}/metrics`)).rejects.toThrow();
    } finally {
      await own.teardown();
    }
  });
});

describe('/readyz', () => {
  // The dead client refuses commands at once (no offline queue), so no check waits on the timeout.
  it('answers 503 naming the failed check when Redis is unreachable', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => undefined);
    try {
      const app = createApp({ ...rt, redis: deadRedis }, { readyCheckTimeoutMs: 10_000 });
      const res = await supertest(app).get('/readyz');
      expect(res.status).toBe(503);
      const passed = { ok: true, ms: expect.any(Number) as number };
      expect(res.body).toEqual({
        ok: false,
        draining: false,
        checks: { postgres: passed, redis: { ok: false, ms: expect.any(Number) as number, error: expect.any(String) as string }, migrations: passed },
      });
    } finally {
      deadRedis.disconnect();
    }
  });
});
