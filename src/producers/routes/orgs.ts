// POST /v1/orgs: the operator creates an org with the admin token and receives its API key
// once. No other route accepts the admin token, and this one accepts nothing else.
import { Router } from 'express';
import { z } from 'zod';
import { adminAuth } from '../http/auth.js';
import { jsonBody } from '../http/json-body.js';
import { parseBody } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { createOrg } from '../repos/orgs.js';
import type { RouteDeps } from './deps.js';

export const orgInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    maxConcurrency: z.number().int().min(1).max(100_000),
  })
  .strict();

const orgCreatedSchema = z.object({ id: z.uuid(), apiKey: z.string().describe('shown once; store it now') });

export function orgRoutes({ rt, registry, authFailures }: RouteDeps): Router {
  describeRoute(registry, {
    method: 'post',
    path: '/v1/orgs',
    summary: 'Create an org and its API key (admin token)',
    auth: 'admin',
    body: orgInputSchema,
    ok: { status: 201, schema: orgCreatedSchema },
    errors: [400, 413],
  });
  const router = Router();
  router.post(
    '/v1/orgs',
    adminAuth(rt.config.OUTDIAL_ADMIN_TOKEN, authFailures),
    jsonBody(16 * 1024),
    async (req, res) => {
      const input = parseBody(orgInputSchema, req);
      const created = await createOrg(rt.db, input);
      res.status(201).json(created);
    },
  );
  return router;
}
