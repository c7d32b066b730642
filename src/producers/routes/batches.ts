// GET /v1/batches/:id: status, contact counts by status and by last outcome, calls in flight,
// the two limits that bound them and the contacts waiting for a retry. GET /v1/batches/:id/preview: who is callable right now.
import { Router } from 'express';
import { z } from 'zod';
import { attemptOutcomes, batchStatuses, contactStatuses } from '../../core/domain.js';
import type { Batch } from '../../core/db/schema.js';
import { NotFoundError } from '../../core/errors.js';
import { requestOrg } from '../http/context.js';
import { idParam } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { previewBatch, tzSources } from '../preview.js';
import { findCampaign } from '../repos/campaigns.js';
import { activeAttempts, batchCounts, findBatch, retryWaits, zoneGroups } from '../repos/batches.js';
import type { RouteDeps } from './deps.js';

const countsOf = <T extends readonly [string, ...string[]]>(keys: T) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T[number], z.ZodNumber>);

export const batchStatusSchema = z.object({
  id: z.uuid(),
  campaignId: z.uuid(),
  name: z.string(),
  status: z.enum(batchStatuses),
  statusReason: z.string().nullable(),
  maxConcurrency: z.number().int(),
  startAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  counts: z.object({
    total: z.number().int(),
    status: countsOf(contactStatuses),
    outcome: countsOf(attemptOutcomes),
  }),
  active: z.number().int().describe('attempts not yet finished'),
  limits: z.object({ org: z.number().int(), batch: z.number().int() }),
  waitingForRetry: z
    .object({ contacts: z.number().int(), nextAt: z.iso.datetime().nullable() })
    .describe('pending contacts whose next attempt is not due yet, and when the first one is'),
});

const tallySchema = z.object({
  contacts: z.number().int(),
  callableNow: z.number().int(),
  waitingForWindow: z.number().int(),
  suppressed: z.number().int(),
});
export const batchPreviewSchema = tallySchema.extend({
  at: z.iso.datetime(),
  other: z.number().int().describe('in progress, finished or cancelled'),
  byTzSource: z.object(
    Object.fromEntries(tzSources.map((s) => [s, tallySchema])) as Record<
      (typeof tzSources)[number],
      typeof tallySchema
    >,
  ),
  zoneSets: z.array(
    z.object({
      timezones: z.array(z.string()),
      tzSource: z.enum(tzSources),
      contacts: z.number().int(),
      openNow: z.boolean(),
      nextOpenAt: z.iso.datetime().nullable(),
    }),
  ),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function batchView(b: Batch) {
  return {
    id: b.id,
    campaignId: b.campaign_id,
    name: b.name,
    status: b.status,
    statusReason: b.status_reason,
    maxConcurrency: b.max_concurrency,
    startAt: iso(b.start_at),
    createdAt: b.created_at.toISOString(),
    startedAt: iso(b.started_at),
    finishedAt: iso(b.finished_at),
  };
}

export function batchRoutes({ rt, registry, now }: RouteDeps): Router {
  describeRoute(registry, {
    method: 'get',
    path: '/v1/batches/{id}',
    summary: 'Batch status, counts and limits',
    ok: { status: 200, schema: batchStatusSchema },
    errors: [404],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/batches/{id}/preview',
    summary: 'How many contacts are callable now, waiting for a window, or suppressed',
    ok: { status: 200, schema: batchPreviewSchema },
    errors: [404],
  });
  const router = Router();
  router.get('/batches/:id', async (req, res) => {
    const org = requestOrg(res);
    const batch = await findBatch(rt.db, org.id, idParam(req, 'id', 'batch'));
    if (!batch) throw new NotFoundError('batch not found');
    const [counts, active, retry] = await Promise.all([
      batchCounts(rt.db, batch.id),
      activeAttempts(rt.db, batch.id),
      retryWaits(rt.db, batch.id, now?.() ?? new Date()),
    ]);
    res.json({
      ...batchView(batch),
      counts,
      active,
      limits: { org: org.maxConcurrency, batch: batch.max_concurrency },
      waitingForRetry: { contacts: retry.contacts, nextAt: iso(retry.nextAt) },
    });
  });
  router.get('/batches/:id/preview', async (req, res) => {
    const org = requestOrg(res);
    const batch = await findBatch(rt.db, org.id, idParam(req, 'id', 'batch'));
    if (!batch) throw new NotFoundError('batch not found');
    const campaign = await findCampaign(rt.db, org.id, batch.campaign_id);
    if (!campaign) throw new NotFoundError('batch not found');
    const groups = await zoneGroups(rt.db, org.id, batch.id);
    res.json(previewBatch(groups, campaign.config.schedule, now?.() ?? new Date()));
  });
  return router;
}
