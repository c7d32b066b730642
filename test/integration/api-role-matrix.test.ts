// The role × route matrix, against the real app and Postgres: every /v1 route the express app has
// registered (read from its router, so a new route cannot escape), sent by a key of each role,
// answers 403 `forbidden` exactly when the table below says the role may not. A route missing
// from the table fails the test: deciding who may call it is part of adding it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoles, type ApiRole } from '../../src/core/api-roles.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';

const ALL: readonly ApiRole[] = ['admin', 'manager', 'viewer'];
const MANAGERS: readonly ApiRole[] = ['admin', 'manager'];
const ADMINS: readonly ApiRole[] = ['admin'];

/** Who may call each route (express paths). The contract's table, written out. */
const MATRIX: Record<string, readonly ApiRole[]> = {
  'POST /v1/session': ALL,
  'GET /v1/session': ALL,
  'DELETE /v1/session': ALL,
  'POST /v1/campaigns': MANAGERS,
  'GET /v1/campaigns': ALL,
  'GET /v1/campaigns/:id': ALL,
  'POST /v1/campaigns/:id/batches': MANAGERS,
  'GET /v1/batches/:id': ALL,
  'GET /v1/batches/:id/preview': ALL,
  'POST /v1/batches/:id/start': MANAGERS,
  'POST /v1/batches/:id/pause': MANAGERS,
  'POST /v1/batches/:id/resume': MANAGERS,
  'POST /v1/batches/:id/cancel': MANAGERS,
  'GET /v1/batches/:id/attempts': ALL,
  'POST /v1/dnc': MANAGERS,
  'GET /v1/dnc': ALL,
  'DELETE /v1/dnc': MANAGERS,
  'POST /v1/webhooks': ADMINS,
  'GET /v1/webhooks': ALL,
  'GET /v1/webhooks/:id': ALL,
  'DELETE /v1/webhooks/:id': ADMINS,
  'GET /v1/webhooks/:id/deliveries': ALL,
  'POST /v1/deliveries/:id/replay': ADMINS,
  'POST /v1/keys': ADMINS,
  'GET /v1/keys': ADMINS,
  'DELETE /v1/keys/:id': ADMINS,
};
/** Admin-token routes: outside the key roles (tested in api-orgs-campaigns.test.ts). */
const ADMIN_TOKEN_ROUTES = new Set(['POST /v1/orgs']);

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route registered on the app, as "METHOD /full/path", walking nested routers. */
function registeredRoutes(stack: Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${prefix}${layer.route.path}`);
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...registeredRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return out;
}

let h: ApiHarness;
let v1Routes: string[];
const auth = new Map<ApiRole, string>();

beforeAll(async () => {
  h = await createApiHarness('api_role_matrix');
  const org = await h.createOrg('Matrix');
  auth.set('admin', org.auth);
  for (const role of ['manager', 'viewer'] as const) {
    const res = await h.http.post('/v1/keys').set('authorization', org.auth).send({ name: role, role }).expect(201);
    auth.set(role, `Bearer ${(res.body as { key: string }).key}`);
  }
  const router = (h.app as unknown as { router: { stack: Layer[] } }).router;
  v1Routes = registeredRoutes(router.stack).filter((r) => r.split(' ')[1]!.startsWith('/v1/'));
});
afterAll(async () => {
  await h.teardown();
});

function send(route: string, role: ApiRole) {
  const [method, pattern] = route.split(' ') as [string, string];
  const path = pattern.replace(/:\w+/g, () => crypto.randomUUID());
  const req = h.http[method.toLowerCase() as 'get' | 'post' | 'delete'](path).set('authorization', auth.get(role)!);
  return method === 'GET' ? req : req.send({});
}

describe('role × route matrix', () => {
  it('finds the routes it must check (the walk over the router works)', () => {
    expect(v1Routes.length).toBeGreaterThanOrEqual(Object.keys(MATRIX).length);
    expect(v1Routes).toContain('POST /v1/campaigns');
    expect(v1Routes).toContain('DELETE /v1/keys/:id');
  });

  it('has a row for every registered /v1 route, and no row for a route that does not exist', () => {
    const keyed = v1Routes.filter((r) => !ADMIN_TOKEN_ROUTES.has(r));
    expect(keyed.filter((r) => !(r in MATRIX)), 'routes missing from MATRIX').toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !keyed.includes(r)), 'MATRIX rows with no route').toEqual([]);
  });

  it('documents exactly the registered /v1 routes in /openapi.json', async () => {
    const doc = (await h.http.get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
    expect([...documented].sort()).toEqual([...v1Routes].sort());
  });

  it('documents 403 on exactly the routes some role may not call, and on every state change (CSRF)', async () => {
    const doc = (await h.http.get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [route, roles] of Object.entries(MATRIX)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const op = doc.paths[pattern.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      // Sign-in takes no credential but the key in its body: nothing to forbid.
      const mayForbid = route !== 'POST /v1/session' && (roles.length < apiRoles.length || method !== 'GET');
      expect(Object.keys(op?.responses ?? {}).includes('403'), route).toBe(mayForbid);
    }
  });

  it('answers 403 forbidden exactly where the role may not, for every route and role', async () => {
    const wrong: string[] = [];
    for (const route of v1Routes.filter((r) => !ADMIN_TOKEN_ROUTES.has(r))) {
      for (const role of apiRoles) {
        const res = await send(route, role);
        const allowed = MATRIX[route]?.includes(role) ?? false;
        const forbidden =
          res.status === 403 && (res.body as { error?: { code?: string } }).error?.code === 'forbidden';
        if (forbidden === allowed) wrong.push(`${role} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
        // Past the guard, the request was authenticated: never 401.
        expect(res.status, `${role} ${route}`).not.toBe(401);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps a path no route serves admin-only: 403 for managers and viewers, 404 for admins', async () => {
    await h.http.post('/v1/not-a-route').set('authorization', auth.get('manager')!).send({}).expect(403);
    await h.http.get('/v1/not-a-route').set('authorization', auth.get('viewer')!).expect(403);
    await h.http.get('/v1/not-a-route').set('authorization', auth.get('admin')!).expect(404);
  });

  it('routes and guards a differently cased path alike', async () => {
    await h.http.post('/v1/Campaigns').set('authorization', auth.get('viewer')!).send({}).expect(403);
    const res = await h.http.post('/v1/CAMPAIGNS').set('authorization', auth.get('manager')!).send({});
    expect(res.status).toBe(400);
  });
});
