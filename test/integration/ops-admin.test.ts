// Bull Board behind the admin login: closed without a session, open with one, ended on the
// server at logout, CSRF on every mutating request, sign-in guessing limited per address, no
// job forging even when writable, and a read-only mode that refuses actions even with a valid token.
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminRouter } from '../../src/producers/admin/router.js';
import { queueNames } from '../../src/core/queues.js';
import { allQueues } from '../../src/core/queue-set.js';
import { createTestRuntime, TEST_ADMIN_TOKEN, type TestRuntime } from '../support/runtime.js';

const TOKEN = TEST_ADMIN_TOKEN;

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
  app.set('trust proxy', rt.config.OUTDIAL_TRUST_PROXY);
  app.use(createAdminRouter(rt, { readOnly }));
  return app;
}

function setCookies(res: request.Response): string[] {
  return (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
}

async function signedIn(app: express.Express) {
  const agent = request.agent(app);
  const login = await agent.post('/admin/queues/login').type('form').send({ username: 'admin', password: TOKEN }).expect(303);
  const session = setCookies(login).map((c) => /^(outdial_admin_session=[^;]+)/.exec(c)?.[1]).find((v) => v !== undefined);
  if (session === undefined) throw new Error('no session cookie after login');
  const page = await agent.get('/admin/queues/').expect(200);
  const xsrf = setCookies(page)
    .map((c) => /^XSRF-TOKEN=([^;]+)/.exec(c)?.[1])
    .find((v) => v !== undefined);
  if (xsrf === undefined) throw new Error('no XSRF-TOKEN cookie on the board page');
  return { agent, xsrf: decodeURIComponent(xsrf), session };
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

  it('ends the session on the server at logout: the cookie replayed afterwards is refused', async () => {
    const { agent, xsrf, session } = await signedIn(app);
    await request(app).get('/admin/queues/api/queues').set('Cookie', session).expect(200);
    await agent.post('/admin/queues/logout').set('X-XSRF-TOKEN', xsrf).expect(303);
    await request(app).get('/admin/queues/api/queues').set('Cookie', session).expect(401);
    await agent.get('/admin/queues/api/queues').expect(401);
  });

  it('refuses adding jobs and editing job data even in writable mode: they would forge dial requests and call events', async () => {
    const { agent, xsrf } = await signedIn(app);
    const queue = rt.queues.callEvents;
    const add = await agent
      .post(`/admin/queues/api/queues/${queue.name}/add`)
      .set('X-XSRF-TOKEN', xsrf)
      .send({ name: 'forged', data: { type: 'call.completed' }, options: {} });
    expect(add.status).toBe(403);
    expect(add.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(await queue.count()).toBe(0);
    const attemptId = '00000000-0000-4000-8000-000000000001';
    const job = await rt.queues.dial.add('probe', { attemptId });
    try {
      const edit = await agent
        .patch(`/admin/queues/api/queues/${rt.queues.dial.name}/${job.id}/update-data`)
        .set('X-XSRF-TOKEN', xsrf)
        .send({ jobData: { attemptId: '00000000-0000-4000-8000-000000000002' } });
      expect(edit.status).toBe(403);
      expect((await rt.queues.dial.getJob(job.id!))?.data).toEqual({ attemptId });
    } finally {
      await job.remove();
    }
    // Other actions stay available in writable mode.
    await agent.put(`/admin/queues/api/queues/${queue.name}/pause`).set('X-XSRF-TOKEN', xsrf).expect(200);
    await agent.put(`/admin/queues/api/queues/${queue.name}/resume`).set('X-XSRF-TOKEN', xsrf).expect(200);
  });

  it('serves the board under its own content security policy', async () => {
    const res = await request(app).get('/admin/queues/login').expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});

describe('Bull Board sign-in guessing', () => {
  it('limits wrong passwords and wrong bearer tokens per address, before checking them', async () => {
    const rt = await createTestRuntime('ops_admin_guess', { OUTDIAL_AUTH_FAILURE_LIMIT: '3', OUTDIAL_TRUST_PROXY: 'loopback' });
    try {
      await rt.redis.ping(); // the limiter fails open until the connection is ready
      const app = appFor(rt);
      const login = (ip: string, password: string) =>
        request(app).post('/admin/queues/login').set('X-Forwarded-For', ip).type('form').send({ username: 'admin', password });
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await login('198.51.100.7', `guess-${i}`)).status);
      statuses.push((await request(app).get('/admin/queues/api/queues').set('X-Forwarded-For', '198.51.100.7').set('Authorization', 'Bearer guess')).status);
      const blocked = await login('198.51.100.7', TOKEN);
      expect([...statuses, blocked.status]).toEqual([401, 401, 401, 429]);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(setCookies(blocked).some((c) => c.startsWith('outdial_admin_session='))).toBe(false);
      const bearer = await request(app).get('/admin/queues/api/queues').set('X-Forwarded-For', '198.51.100.7').set('Authorization', `Bearer ${TOKEN}`);
      expect(bearer.status).toBe(429);
      expect(bearer.body).toMatchObject({ error: { code: 'rate_limited' } });
      await login('198.51.100.8', TOKEN).expect(303);
    } finally {
      await teardown(rt);
    }
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

  it('marks the session and CSRF cookies Secure behind the TLS proxy OUTDIAL_TRUST_PROXY names', async () => {
    const { createApp } = await import('../../src/producers/app.js');
    const rt = await createTestRuntime('ops_admin_proxy', { OUTDIAL_TRUST_PROXY: 'loopback' });
    try {
      const app = createApp(rt);
      const login = await request(app)
        .post('/admin/queues/login')
        .set('X-Forwarded-Proto', 'https')
        .type('form')
        .send({ username: 'admin', password: TOKEN })
        .expect(303);
      const session = setCookies(login).find((c) => c.startsWith('outdial_admin_session='));
      expect(session).toMatch(/;\s*Secure/i);
      // The test client keeps Secure cookies to itself over plain HTTP: hand it over as the proxy would.
      const page = await request(app)
        .get('/admin/queues/')
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', session!.split(';')[0]!)
        .expect(200);
      expect(setCookies(page).find((c) => c.startsWith('XSRF-TOKEN='))).toMatch(/;\s*Secure/i);
      // Plain HTTP (a single-host install without TLS) keeps working.
      const plain = await request(app).post('/admin/queues/login').type('form').send({ username: 'admin', password: TOKEN }).expect(303);
      expect(setCookies(plain).find((c) => c.startsWith('outdial_admin_session='))).not.toMatch(/Secure/i);
    } finally {
      await teardown(rt);
    }
  });
});
