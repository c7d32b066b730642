// Campaign create, list and get. The body is the contract campaign (core/campaign.ts), stored
// with defaults filled in and answered back the same way, plus id and createdAt.
import { Router } from 'express';
import { z } from 'zod';
import { campaignInputSchema } from '../../core/campaign.js';
import { NotFoundError } from '../../core/errors.js';
import { requestOrg } from '../http/context.js';
import { decodeCursor, page, pageQuery } from '../http/cursor.js';
import { idParam, parseBody, parseQuery } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { createCampaign, findCampaign, listCampaigns, type Campaign } from '../repos/campaigns.js';
import type { RouteDeps } from './deps.js';

export function campaignView(c: Campaign) {
  return { id: c.id, createdAt: c.createdAt.toISOString(), ...c.config };
}

const campaignSchema = z.object({ id: z.uuid(), createdAt: z.iso.datetime() }).and(campaignInputSchema);
const campaignListSchema = z.object({ items: z.array(campaignSchema), nextCursor: z.string().nullable() });

function describe(registry: RouteDeps['registry']): void {
  describeRoute(registry, {
    method: 'post',
    path: '/v1/campaigns',
    summary: 'Create a campaign',
    body: campaignInputSchema,
    ok: { status: 201, schema: campaignSchema },
    errors: [400, 413],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/campaigns',
    summary: 'List campaigns, newest first',
    query: pageQuery,
    ok: { status: 200, schema: campaignListSchema },
    errors: [400],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/campaigns/{id}',
    summary: 'Get a campaign',
    ok: { status: 200, schema: campaignSchema },
    errors: [404],
  });
}

export function campaignRoutes({ rt, registry }: RouteDeps): Router {
  describe(registry);
  const router = Router();
  router.post('/campaigns', async (req, res) => {
    const config = parseBody(campaignInputSchema, req);
    const campaign = await createCampaign(rt.db, requestOrg(res).id, config);
    res.status(201).json(campaignView(campaign));
  });
  router.get('/campaigns', async (req, res) => {
    const q = parseQuery(pageQuery, req);
    const rows = await listCampaigns(rt.db, requestOrg(res).id, q.limit, decodeCursor(q.cursor));
    const { items, next } = page(rows, q.limit, (c) => ({ at: c.cursorAt, id: c.id }));
    res.json({ items: items.map(campaignView), nextCursor: next });
  });
  router.get('/campaigns/:id', async (req, res) => {
    const campaign = await findCampaign(rt.db, requestOrg(res).id, idParam(req, 'id', 'campaign'));
    if (!campaign) throw new NotFoundError('campaign not found');
    res.json(campaignView(campaign));
  });
  return router;
}
