// Bull Board behind the admin login: closed without a session, open with one, CSRF on every
// mutating request, and a read-only mode that refuses actions even with a valid token.
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminRouter } from '../../src/producers/admin/router.js';
import { queueNames } from '../../src/core/queues.js';
import { allQueues } from '../../src/core/queue-set.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

const TOKEN = 'test-admin-token';

/**
 * Lets every queue finish connecting before the runtime closes: BullMQ drops a queue's listeners
 * on close, so an initialisation still in flight then fails as an unhandled rejection.
 */
async function teardown(rt: TestRuntime): Promise<void> {
  await Promise.all(allQueues(rt).map((q) => q.waitUntilReady()));
  await rt.teardown();
}

function appFor(rt: TestRuntime, readOnly = false) {
  const app = express();
  app.use(createAdminRouter(rt, { readOnly }));
  return app;
}

async function signedIn(app: express.Express) {
  const agent = request.agent(app);
  await agent.post('/admin/queues/login').type('form').send({ username: 'admin', password: TOKEN }).expect(303);
  const page = await agent.get('/admin/queues/').expect(200);
  const xsrf = (page.headers['set-cookie'] as unknown as string[] | undefined)
    ?.map((c) => /^XSRF-TOKEN=([^;]+)/.exec(c)?.[1])
    .find((v) => v !== undefined);
  if (xsrf === undefined) throw new Error('no XSRF-TOKEN cookie on the board page');
  return { agent, xsrf: decodeURIComponent(xsrf) };
}

describe('Bull Board at /admin/queues', () => {
  let rt: TestRuntime;
  let app: express.Express;
  beforeAll(async () => {
    rt = await createTestRuntime('ops_admin');
    app = appFor(rt);
  });
  afterAll(async () => {
    await teardown(rt);
  });

  it('redirects a browser without a session to the login form and answers the API with 401', async () => {
    const page = await request(app).get('/admin/queues/').expect(302);
    expect(page.headers.location).toBe('/admin/queues/login');
    await request(app).get('/admin/queues/api/queues').expect(401);
    const login = await request(app).get('/admin/queues/login').expect(200);
    expect(login.text).toContain('<form method="post"');
  });

  it('refuses a wrong password and a forged session cookie', async () => {
    await request(app).post('/admin/queues/login').type('form').send({ username: 'admin', password: 'nope' }).expect(401);
    await request(app).get('/admin/queues/api/queues').set('Cookie', 'outdial_admin_session=v1.1').expect(401);
  });

  it('after login serves the board, its assets and every queue over the session cookie', async () => {
    const { agent } = await signedIn(app);
    const res = await agent.get('/admin/queues/api/queues').expect(200);
    const names = (res.body as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(Object.values(queueNames).sort());
    const page = await agent.get('/admin/queues/').expect(200);
    const asset = /src="(static\/js\/[^"]+)"/.exec(page.text)?.[1];
    expect(asset).toBeDefined();
    await agent.get(`/admin/queues/${asset}`).expect(200);
  });

  it('rejects a mutating request without the CSRF token and accepts it with the token', async () => {
    const { agent, xsrf } = await signedIn(app);
    await agent.put('/admin/queues/api/queues/dial/pause').expect(403);
    expect(await rt.queues.dial.isPaused()).toBe(false);
    await agent.put('/admin/queues/api/queues/dial/pause').set('X-XSRF-TOKEN', xsrf).expect(200);
    expect(await rt.queues.dial.isPaused()).toBe(true);
    await agent.put('/admin/queues/api/queues/dial/resume').set('X-XSRF-TOKEN', xsrf).expect(200);
    expect(await rt.queues.dial.isPaused()).toBe(false);
  });

  it('does not accept a CSRF token issued to another session', async () => {
    const first = await signedIn(app);
    const second = await signedIn(app);
    await second.agent.put('/admin/queues/api/queues/dial/pause').set('X-XSRF-TOKEN', first.xsrf).expect(403);
  });

  it('lets scripts in with the admin token as a bearer header', async () => {
    await request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    await request(app).get('/admin/queues/api/queues').set('Authorization', 'Bearer wrong').expect(401);
  });

  it('in read-only mode shows the queues but refuses actions even with a valid token', async () => {
    const ro = appFor(rt, true);
    const { agent, xsrf } = await signedIn(ro);
    await agent.get('/admin/queues/api/queues').expect(200);
    await agent.put('/admin/queues/api/queues/dial/pause').set('X-XSRF-TOKEN', xsrf).expect(403);
    expect(await rt.queues.dial.isPaused()).toBe(false);
  });

  it('takes read-only mode from OUTDIAL_BULLBOARD_READONLY when not told otherwise', async () => {
    const roRt = await createTestRuntime('ops_admin_ro', { OUTDIAL_BULLBOARD_READONLY: 'true' });
    try {
      const roApp = express();
      roApp.use(createAdminRouter(roRt));
      const { agent, xsrf } = await signedIn(roApp);
      await agent.put('/admin/queues/api/queues/dial/pause').set('X-XSRF-TOKEN', xsrf).expect(403);
    } finally {
      await teardown(roRt);
    }
  });

  it('serves the board under its own content security policy', async () => {
    const res = await request(app).get('/admin/queues/login').expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});

describe('Bull Board without OUTDIAL_ADMIN_TOKEN', () => {
  it('stays closed', async () => {
    const rt = await createTestRuntime('ops_admin_off', { OUTDIAL_ADMIN_TOKEN: '' });
    try {
      await request(appFor(rt)).get('/admin/queues/api/queues').expect(404);
      await request(appFor(rt)).post('/admin/queues/login').type('form').send({ username: 'admin', password: '' }).expect(404);
    } finally {
      await teardown(rt);
    }
  });
});

describe('the api app', () => {
  it('mounts Bull Board behind the login and serves /metrics', async () => {
    const { createApp } = await import('../../src/producers/app.js');
    const rt = await createTestRuntime('ops_admin_app');
    try {
      const app = createApp(rt);
      await request(app).get('/admin/queues/api/queues').expect(401);
      await request(app).get('/admin/queues/').expect(302);
      const { agent } = await signedIn(app);
      await agent.get('/admin/queues/api/queues').expect(200);
      const metrics = await request(app).get('/metrics').expect(200);
      expect(metrics.text).toContain('outdial_calls_total');
      const login = await request(app).get('/admin/queues/login').expect(200);
      expect(login.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    } finally {
      await teardown(rt);
    }
  });
});
