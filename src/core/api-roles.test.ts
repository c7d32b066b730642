import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiAreaOf, apiRoles, roleAllows, type ApiRole } from './api-roles.js';

const methods = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const reads = new Set(['GET', 'HEAD', 'OPTIONS']);

// The whole table, written out: resource → [manager may read, manager may write]; admin may
// everything, viewer may read what a manager may read.
const expected: Record<string, { read: boolean; write: boolean }> = {
  campaigns: { read: true, write: true },
  batches: { read: true, write: true },
  attempts: { read: true, write: true },
  dnc: { read: true, write: true },
  'caller-ids': { read: true, write: true },
  webhooks: { read: true, write: false },
  deliveries: { read: true, write: false },
  org: { read: true, write: false },
  keys: { read: false, write: false },
  'not-a-resource': { read: false, write: false },
};

describe('roleAllows', () => {
  it('matches the written table for every role, method and resource', () => {
    for (const [resource, manager] of Object.entries(expected)) {
      for (const path of [`/v1/${resource}`, `/v1/${resource}/:id`, `/v1/${resource}/{id}/sub`]) {
        for (const method of methods) {
          const read = reads.has(method);
          const managerMay = read ? manager.read : manager.write;
          expect(roleAllows('admin', method, path), `admin ${method} ${path}`).toBe(true);
          expect(roleAllows('manager', method, path), `manager ${method} ${path}`).toBe(managerMay);
          expect(roleAllows('viewer', method, path), `viewer ${method} ${path}`).toBe(read && manager.read);
        }
      }
    }
  });

  it('lets every role sign in and out', () => {
    for (const role of apiRoles)
      for (const method of methods) expect(roleAllows(role, method, '/v1/session')).toBe(true);
  });

  it('reads method names and resources case-insensitively, as express routes them', () => {
    expect(roleAllows('viewer', 'get', '/v1/campaigns')).toBe(true);
    expect(roleAllows('viewer', 'post', '/v1/campaigns')).toBe(false);
    expect(roleAllows('manager', 'GET', '/v1/KEYS')).toBe(false);
    expect(apiAreaOf('/v1/Campaigns/x')).toBe('operations');
  });

  it('keeps viewer ⊆ manager ⊆ admin, and viewers to reads, for any path (seeded)', () => {
    const segment = fc.oneof(
      fc.constantFrom(...Object.keys(expected), 'session', '__proto__', 'constructor', 'toString', ''),
      fc.string({ maxLength: 12 }),
    );
    const path = fc.tuple(segment, fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })).map(
      ([first, rest]) => ['/v1', first, ...rest].join('/'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...methods), path, (method, p) => {
        const may = (role: ApiRole) => roleAllows(role, method, p);
        if (may('viewer')) expect(may('manager')).toBe(true);
        if (may('manager')) expect(may('admin')).toBe(true);
        expect(may('admin')).toBe(true);
        if (may('viewer') && apiAreaOf(p) !== 'session') expect(reads.has(method)).toBe(true);
      }),
      { seed: 15, numRuns: 2000 },
    );
  });

  it('treats a resource it does not know, or an inherited property name, as admin-only', () => {
    for (const p of ['/v1/__proto__', '/v1/constructor/x', '/v1', '/v1/', '/other/campaigns']) {
      expect(apiAreaOf(p), p).toBe('unknown');
      expect(roleAllows('manager', 'GET', p)).toBe(false);
      expect(roleAllows('viewer', 'GET', p)).toBe(false);
    }
  });
});
