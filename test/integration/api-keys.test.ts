// /v1/keys against the real app and Postgres: an org holds several keys with roles, each shown
// once and stored only as a hash; revoking one stops it at once; the last admin key cannot go;
// another org's key id is 404; last use is recorded at most once a minute.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/core/secrets.js';
import { ConflictError } from '../../src/core/errors.js';
import {
  createApiKey,
  LAST_ADMIN_KEY,
  revokeApiKey,
  touchApiKey,
} from '../../src/producers/repos/api-keys.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';
import { insertOrg } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await createApiHarness('api_keys');
});
afterAll(async () => {
  await h.teardown();
});

interface KeyItem {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  lastUsedAt: string | null;
}

async function createKey(auth: string, name: string, role: string) {
  const res = await h.http.post('/v1/keys').set('authorization', auth).send({ name, role }).expect(201);
  const body = res.body as { id: string; key: string; role: string };
  return { ...body, auth: `Bearer ${body.key}` };
}

async function listKeys(auth: string): Promise<KeyItem[]> {
  const res = await h.http.get('/v1/keys').set('authorization', auth).expect(200);
  return (res.body as { items: KeyItem[] }).items;
}

describe('API keys', () => {
  it('makes the org’s first key an admin key named "default"', async () => {
    const org = await h.createOrg('First');
    const items = await listKeys(org.auth);
    expect(items).toEqual([
      {
        id: expect.any(String) as string,
        name: 'default',
        role: 'admin',
        createdAt: expect.any(String) as string,
        lastUsedAt: expect.toSatisfy((v) => v === null || typeof v === 'string') as string | null,
      },
    ]);
  });

  it('creates keys with a role, shows each key once and stores only its hash', async () => {
    const org = await h.createOrg('Several');
    const manager = await createKey(org.auth, 'ops', 'manager');
    expect(manager).toMatchObject({
      role: 'manager',
      key: expect.stringMatching(/^od_[A-Za-z0-9_-]{32}$/) as string,
    });
    const list = await h.http.get('/v1/keys').set('authorization', org.auth).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(manager.key);
    expect((list.body as { items: KeyItem[] }).items.map((k) => [k.name, k.role])).toEqual([
      ['default', 'admin'],
      ['ops', 'manager'],
    ]);
    const row = await h.rt.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', manager.id)
      .executeTakeFirstOrThrow();
    expect(row.hash).toBe(hashApiKey(manager.key));
    expect(row.prefix).toBe(manager.key.slice(0, 8));
    expect(JSON.stringify(row)).not.toContain(manager.key);
    // The new key works, with its role.
    await h.http.get('/v1/campaigns').set('authorization', manager.auth).expect(200);
  });

  it('refuses an unknown role or a missing name with 400', async () => {
    const org = await h.createOrg('Bad input');
    for (const body of [
      { name: 'x', role: 'owner' },
      { role: 'viewer' },
      { name: '', role: 'viewer' },
      { name: 'x', role: 'viewer', extra: 1 },
    ]) {
      const res = await h.http.post('/v1/keys').set('authorization', org.auth).send(body).expect(400);
      expect((res.body as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });

  it('answers 403 forbidden when a manager or viewer key touches keys', async () => {
    const org = await h.createOrg('Roles');
    for (const role of ['manager', 'viewer']) {
      const k = await createKey(org.auth, role, role);
      const res = await h.http
        .post('/v1/keys')
        .set('authorization', k.auth)
        .send({ name: 'x', role: 'admin' })
        .expect(403);
      expect(res.body).toEqual({
        error: { code: 'forbidden', message: expect.stringContaining(role) as string },
      });
      await h.http.get('/v1/keys').set('authorization', k.auth).expect(403);
      await h.http.delete(`/v1/keys/${k.id}`).set('authorization', k.auth).expect(403);
    }
  });

  it('stops a revoked key at once (401), hides it from the list, and answers 404 to revoking it again', async () => {
    const org = await h.createOrg('Revoke');
    const k = await createKey(org.auth, 'temp', 'manager');
    await h.http.get('/v1/campaigns').set('authorization', k.auth).expect(200);
    await h.http.delete(`/v1/keys/${k.id}`).set('authorization', org.auth).expect(204);
    const refused = await h.http.get('/v1/campaigns').set('authorization', k.auth).expect(401);
    expect(refused.body).toEqual({ error: { code: 'unauthorized', message: 'invalid API key' } });
    expect((await listKeys(org.auth)).map((i) => i.id)).not.toContain(k.id);
    await h.http.delete(`/v1/keys/${k.id}`).set('authorization', org.auth).expect(404);
  });

  it('refuses to revoke the org’s last admin key with 409, and allows it once another admin key exists', async () => {
    const org = await h.createOrg('Last admin');
    const [first] = await listKeys(org.auth);
    const res = await h.http.delete(`/v1/keys/${first!.id}`).set('authorization', org.auth).expect(409);
    expect(res.body).toEqual({ error: { code: 'conflict', message: LAST_ADMIN_KEY } });
    await h.http.get('/v1/keys').set('authorization', org.auth).expect(200);

    const second = await createKey(org.auth, 'second admin', 'admin');
    // A manager key does not count as an admin that remains.
    await createKey(org.auth, 'ops', 'manager');
    await h.http.delete(`/v1/keys/${first!.id}`).set('authorization', second.auth).expect(204);
    await h.http.delete(`/v1/keys/${second.id}`).set('authorization', second.auth).expect(409);
  });

  it('lets only one of two simultaneous revocations of an org’s last two admin keys through', async () => {
    // Straight on the repository, many orgs at once, so the two transactions of each pair overlap.
    const orgs = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const { org } = await insertOrg(h.rt.db, { name: `Race ${i}` });
        const first = await createApiKey(h.rt.db, org.id, { name: 'first', role: 'admin' });
        const second = await createApiKey(h.rt.db, org.id, { name: 'second', role: 'admin' });
        await h.rt.db
          .updateTable('api_keys')
          .set({ revoked_at: new Date() })
          .where('org_id', '=', org.id)
          .where('id', 'not in', [first.id, second.id])
          .execute();
        return { orgId: org.id, keys: [first.id, second.id] };
      }),
    );
    const outcomes = await Promise.all(
      orgs.flatMap(({ orgId, keys }) =>
        keys.map((id) =>
          revokeApiKey(h.rt.db, orgId, id).then(
            () => 'revoked',
            (err: unknown) => (err instanceof ConflictError ? 'conflict' : 'error'),
          ),
        ),
      ),
    );
    for (let i = 0; i < orgs.length; i++)
      expect(outcomes.slice(2 * i, 2 * i + 2).sort()).toEqual(['conflict', 'revoked']);
    const active = await h.rt.db
      .selectFrom('api_keys')
      .select('org_id')
      .where(
        'org_id',
        'in',
        orgs.map((o) => o.orgId),
      )
      .where('revoked_at', 'is', null)
      .execute();
    expect(active).toHaveLength(orgs.length);
  });

  it('answers 404 for another org’s key id, a malformed id and an unknown id, and leaves the key working', async () => {
    const a = await h.createOrg('A');
    const b = await h.createOrg('B');
    const aKey = await createKey(a.auth, 'a-ops', 'manager');
    for (const id of [aKey.id, 'not-a-uuid', crypto.randomUUID()]) {
      const res = await h.http.delete(`/v1/keys/${id}`).set('authorization', b.auth).expect(404);
      expect((res.body as { error: { code: string } }).error.code).toBe('not_found');
    }
    await h.http.get('/v1/campaigns').set('authorization', aKey.auth).expect(200);
    expect((await listKeys(b.auth)).map((k) => k.id)).not.toContain(aKey.id);
  });

  it('records a key’s last use after it is used', async () => {
    const org = await h.createOrg('Last use');
    const k = await createKey(org.auth, 'reader', 'viewer');
    const before = (await listKeys(org.auth)).find((i) => i.id === k.id);
    expect(before?.lastUsedAt).toBeNull();
    const sent = Date.now();
    await h.http.get('/v1/campaigns').set('authorization', k.auth).expect(200);
    const used = await waitFor(async () => {
      const item = (await listKeys(org.auth)).find((i) => i.id === k.id);
      return item?.lastUsedAt ? item.lastUsedAt : undefined;
    });
    expect(Date.parse(used)).toBeGreaterThan(sent - 5_000);
  });

  it('writes last use at most once a minute per key', async () => {
    const org = await h.createOrg('Throttle');
    const k = await createKey(org.auth, 'reader', 'viewer');
    const setLastUse = (secondsAgo: number) =>
      sql`update api_keys set last_used_at = now() - make_interval(secs => ${secondsAgo}) where id = ${k.id}`.execute(
        h.rt.db,
      );
    const lastUse = async () =>
      (
        await h.rt.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', k.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    await setLastUse(30);
    const recent = await lastUse();
    expect(await touchApiKey(h.rt.db, k.id)).toBe(false);
    expect(await lastUse()).toEqual(recent);
    await setLastUse(61);
    expect(await touchApiKey(h.rt.db, k.id)).toBe(true);
    expect((await lastUse())!.getTime()).toBeGreaterThan(recent!.getTime());
  });
});
