// Console sessions against the real app, Postgres and Redis: an API key is exchanged for an
// HttpOnly, SameSite=Strict cookie (Secure behind the TLS proxy OUTDIAL_TRUST_PROXY names) that
// never holds the key; state changes made with it need the CSRF token; it ends when idle (the
// clock is injected: no sleeping), at sign-out, and when its key is revoked; it keeps its role.
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SESSION_MS } from '../../src/producers/http/console-session.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';

let h: ApiHarness;
let clock = new Date('2026-03-02T09:00:00Z');
const IDLE_MINUTES = 30;
const campaign = { name: 'Session', mode: 'one_way', message: 'Hi {{first_name}}' };

beforeAll(async () => {
  h = await createApiHarness(
    'api_session',
    { now: () => clock },
    { OUTDIAL_TRUST_PROXY: 'loopback', OUTDIAL_SESSION_IDLE_MINUTES: String(IDLE_MINUTES) },
  );
});
afterAll(async () => {
  await h.teardown();
});

const minutes = (n: number) => n * 60_000;
const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

/** Set-Cookie headers by cookie name: value and the attribute text. */
function setCookies(res: Response): Map<string, { value: string; attrs: string }> {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of raw ?? []) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    out.set(pair!.slice(0, eq).trim(), { value: pair!.slice(eq + 1), attrs: attrs.join(';') });
  }
  return out;
}

interface Session {
  cookie: string;
  csrfToken: string;
  role: string;
  res: Response;
}

async function signIn(key: string, headers: Record<string, string> = {}): Promise<Session> {
  const res = await h.http.post('/v1/session').set(headers).send({ key }).expect(201);
  const jar = setCookies(res);
  const cookie = ['outdial_session', 'outdial_csrf'].map((n) => `${n}=${jar.get(n)!.value}`).join('; ');
  const body = res.body as { csrfToken: string; role: string };
  return { cookie, csrfToken: body.csrfToken, role: body.role, res };
}

async function keyWithRole(adminAuth: string, role: string): Promise<{ id: string; key: string }> {
  const res = await h.http.post('/v1/keys').set('authorization', adminAuth).send({ name: role, role }).expect(201);
  return res.body as { id: string; key: string };
}

describe('console sessions', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie that does not hold the key, and returns a CSRF token', async () => {
    const org = await h.createOrg('Cookies');
    const s = await signIn(org.apiKey);
    expect(s.res.body).toEqual({ role: 'admin', csrfToken: expect.any(String) as string, idleTimeoutSeconds: IDLE_MINUTES * 60 });
    const jar = setCookies(s.res);
    for (const name of ['outdial_session', 'outdial_csrf']) {
      const c = jar.get(name)!;
      expect(c.attrs, name).toMatch(/HttpOnly/i);
      expect(c.attrs, name).toMatch(/SameSite=Strict/i);
      expect(c.attrs, name).toMatch(/Path=\/v1/);
      expect(c.attrs, name).not.toMatch(/Secure/i); // plain HTTP, no proxy saying otherwise
    }
    expect(JSON.stringify(s.res.headers)).not.toContain(org.apiKey);
    expect(JSON.stringify(s.res.headers)).not.toContain(org.apiKey.slice(3));
  });

  it('marks both cookies Secure when the trusted proxy says the request came over TLS', async () => {
    const org = await h.createOrg('Secure');
    const s = await signIn(org.apiKey, { 'x-forwarded-proto': 'https' });
    for (const name of ['outdial_session', 'outdial_csrf']) expect(setCookies(s.res).get(name)!.attrs).toMatch(/Secure/i);
  });

  it('refuses a wrong key with 401 and sets no cookie', async () => {
    const res = await h.http.post('/v1/session').send({ key: 'od_not-a-key' }).expect(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    await h.http.post('/v1/session').send({ nope: 1 }).expect(400);
  });

  it('authenticates reads by cookie, and refuses a state change without the CSRF token (403)', async () => {
    const org = await h.createOrg('Csrf');
    const s = await signIn(org.apiKey);
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(200);
    const missing = await h.http.post('/v1/campaigns').set('cookie', s.cookie).send(campaign).expect(403);
    expect((missing.body as { error: { code: string } }).error.code).toBe('csrf_invalid');
    await h.http.post('/v1/campaigns').set('cookie', s.cookie).set('x-csrf-token', 'x'.repeat(64)).send(campaign).expect(403);
    // Another session's token does not fit this session.
    const other = await signIn(org.apiKey);
    await h.http.post('/v1/campaigns').set('cookie', s.cookie).set('x-csrf-token', other.csrfToken).send(campaign).expect(403);
    await h.http.post('/v1/campaigns').set('cookie', s.cookie).set('x-csrf-token', s.csrfToken).send(campaign).expect(201);
  });

  it('keeps bearer requests free of CSRF, even when a session cookie rides along', async () => {
    const org = await h.createOrg('Bearer');
    const s = await signIn(org.apiKey);
    await h.http.post('/v1/campaigns').set('authorization', org.auth).send(campaign).expect(201);
    await h.http.post('/v1/campaigns').set('authorization', org.auth).set('cookie', s.cookie).send(campaign).expect(201);
  });

  it('carries the key’s role: a viewer session reads but may not change anything', async () => {
    const org = await h.createOrg('Viewer');
    const viewer = await keyWithRole(org.auth, 'viewer');
    const s = await signIn(viewer.key);
    expect(s.role).toBe('viewer');
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(200);
    const res = await h.http.post('/v1/campaigns').set('cookie', s.cookie).set('x-csrf-token', s.csrfToken).send(campaign).expect(403);
    expect((res.body as { error: { code: string } }).error.code).toBe('forbidden');
    const me = await h.http.get('/v1/session').set('cookie', s.cookie).expect(200);
    expect(me.body).toEqual({ role: 'viewer', csrfToken: s.csrfToken, idleTimeoutSeconds: IDLE_MINUTES * 60 });
  });

  it('ends a session left idle longer than OUTDIAL_SESSION_IDLE_MINUTES, and renews one in use', async () => {
    const org = await h.createOrg('Idle');
    const s = await signIn(org.apiKey);
    advance(minutes(IDLE_MINUTES - 1));
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(200);
    advance(minutes(IDLE_MINUTES - 1)); // past the idle time since sign-in, not since last use
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(200);
    advance(minutes(IDLE_MINUTES) + 1000);
    const res = await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(401);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/expired/);
    // Gone for good: going back in time does not revive it.
    clock = new Date(clock.getTime() - minutes(IDLE_MINUTES));
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(401);
  });

  it('ends a session MAX_SESSION_MS after sign-in however busy it is', async () => {
    const org = await h.createOrg('Max age');
    const s = await signIn(org.apiKey);
    const step = minutes(IDLE_MINUTES - 1);
    for (let elapsed = step; elapsed <= MAX_SESSION_MS; elapsed += step) {
      advance(step);
      await h.http.get('/v1/session').set('cookie', s.cookie).expect(200);
    }
    advance(step);
    await h.http.get('/v1/session').set('cookie', s.cookie).expect(401);
  });

  it('ends the key’s sessions when the key is revoked', async () => {
    const org = await h.createOrg('Revoked');
    const manager = await keyWithRole(org.auth, 'manager');
    const s = await signIn(manager.key);
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(200);
    await h.http.delete(`/v1/keys/${manager.id}`).set('authorization', org.auth).expect(204);
    const res = await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(401);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/revoked/);
    await h.http.post('/v1/session').send({ key: manager.key }).expect(401);
  });

  it('signs out with DELETE /v1/session (CSRF required), after which the copied cookie is refused', async () => {
    const org = await h.createOrg('Sign out');
    const s = await signIn(org.apiKey);
    await h.http.delete('/v1/session').set('cookie', s.cookie).expect(403);
    const out = await h.http.delete('/v1/session').set('cookie', s.cookie).set('x-csrf-token', s.csrfToken).expect(204);
    const cleared = setCookies(out);
    expect(cleared.get('outdial_session')?.value).toBe('');
    expect(cleared.get('outdial_csrf')?.value).toBe('');
    await h.http.get('/v1/campaigns').set('cookie', s.cookie).expect(401);
  });

  it('keeps one org’s session out of another org’s resources (404)', async () => {
    const a = await h.createOrg('Session A');
    const b = await h.createOrg('Session B');
    const created = await h.http.post('/v1/campaigns').set('authorization', a.auth).send(campaign).expect(201);
    const id = (created.body as { id: string }).id;
    const listed = await h.http.get('/v1/keys').set('authorization', a.auth).expect(200);
    const [aKey] = (listed.body as { items: { id: string }[] }).items;
    const s = await signIn(b.apiKey);
    await h.http.get(`/v1/campaigns/${id}`).set('cookie', s.cookie).expect(404);
    await h.http.delete(`/v1/keys/${aKey!.id}`).set('cookie', s.cookie).set('x-csrf-token', s.csrfToken).expect(404);
  });
});
