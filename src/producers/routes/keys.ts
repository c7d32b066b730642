// An org's API keys: create (the key shown once), list with last use, revoke. Admin keys only
// (src/core/api-roles.ts). Another org's key id answers 404 like any other unknown id; the org's
// last active admin key cannot be revoked (409), so an org cannot lock itself out.
import { Router } from 'express';
import { z } from 'zod';
import { apiRoles } from '../../core/api-roles.js';
import { NotFoundError } from '../../core/errors.js';
import { requestLog, requestOrg } from '../http/context.js';
import { idParam, parseBody } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../repos/api-keys.js';
import type { RouteDeps } from './deps.js';

export const keyInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(apiRoles),
  })
  .strict();

const keyCreatedSchema = z.object({
  id: z.uuid(),
  key: z.string().describe('shown once; store it now'),
  role: z.enum(apiRoles),
});
const keyItemSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(apiRoles),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable().describe('updated at most once a minute'),
});

function describe(registry: RouteDeps['registry']): void {
  describeRoute(registry, {
    method: 'post',
    path: '/v1/keys',
    summary: 'Create an API key with a role (admin keys only)',
    body: keyInputSchema,
    ok: { status: 201, schema: keyCreatedSchema },
    errors: [400, 413],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/keys',
    summary: 'List the org’s active API keys with their last use (admin keys only)',
    ok: { status: 200, schema: z.object({ items: z.array(keyItemSchema) }) },
  });
  describeRoute(registry, {
    method: 'delete',
    path: '/v1/keys/{id}',
    summary: 'Revoke an API key: it and its sessions stop working at once (admin keys only)',
    ok: { status: 204, description: 'revoked' },
    errors: [404, 409],
  });
}

export function keyRoutes({ rt, registry }: RouteDeps): Router {
  describe(registry);
  const router = Router();
  router.post('/keys', async (req, res) => {
    const input = parseBody(keyInputSchema, req);
    const org = requestOrg(res);
    const created = await createApiKey(rt.db, org.id, input);
    requestLog(res).info({ orgId: org.id, keyId: created.id, role: created.role }, 'api_key.created');
    res.status(201).json(created);
  });
  router.get('/keys', async (_req, res) => {
    const items = await listApiKeys(rt.db, requestOrg(res).id);
    res.json({
      items: items.map((k) => ({
        ...k,
        createdAt: k.createdAt.toISOString(),
        lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      })),
    });
  });
  router.delete('/keys/:id', async (req, res) => {
    const org = requestOrg(res);
    const id = idParam(req, 'id', 'API key');
    if (!(await revokeApiKey(rt.db, org.id, id))) throw new NotFoundError('API key not found');
    requestLog(res).info({ orgId: org.id, keyId: id }, 'api_key.revoked');
    res.status(204).end();
  });
  return router;
}
