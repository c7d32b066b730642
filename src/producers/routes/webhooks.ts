// Webhook endpoints (create, list, get, delete), their deliveries, and replay. The secret is
// shown once at creation, stored only encrypted, and never answered again; a replay resets the
// delivery to pending and hands it to the `webhooks` queue for the sinks' delivery worker.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { eventTypes } from '../../core/domain.js';
import { DESTINATION_NOT_ALLOWED, systemResolver } from '../../core/destination.js';
import { NotFoundError, UnprocessableError } from '../../core/errors.js';
import { webhookJobSchema } from '../../core/queues.js';
import { encryptionKey, encryptSecret, newWebhookSecret } from '../../core/secrets.js';
import { requestLog, requestOrg } from '../http/context.js';
import { decodeCursor, page, pageQuery } from '../http/cursor.js';
import { idParam, parseBody, parseQuery } from '../http/validate.js';
import { webhookDestinationRefusal, webhookUrlProblem } from '../http/webhook-url.js';
import { describeRoute } from '../openapi.js';
import * as repo from '../repos/webhooks.js';
import type { RouteDeps } from './deps.js';

export const webhookInputSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .refine((u) => webhookUrlProblem(u) === null, { message: 'expected an http or https URL' }),
    events: z
      .array(z.enum([...eventTypes, '*']))
      .min(1)
      .max(eventTypes.length + 1)
      .transform((e) => [...new Set(e)]),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{32,128}={0,2}$/, 'expected "whsec_" followed by at least 24 base64 bytes')
      .optional(),
  })
  .strict();

const endpointSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
const createdSchema = endpointSchema.extend({ secret: z.string().describe('shown once') });
const deliverySchema = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  eventType: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed', 'dead']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable(),
});

function endpointView(e: repo.Endpoint) {
  return { ...e, createdAt: e.createdAt.toISOString() };
}

function deliveryView(d: repo.DeliveryItem) {
  const { cursorAt: _cursor, ...rest } = d;
  return {
    ...rest,
    nextAttemptAt: d.nextAttemptAt.toISOString(),
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}

function describe(registry: RouteDeps['registry']): void {
  const list = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
  describeRoute(registry, {
    method: 'post',
    path: '/v1/webhooks',
    summary: 'Register a webhook endpoint',
    body: webhookInputSchema,
    ok: { status: 201, schema: createdSchema },
    errors: [400, 413, 422],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/webhooks',
    summary: 'List webhook endpoints',
    ok: { status: 200, schema: z.object({ items: z.array(endpointSchema) }) },
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}',
    summary: 'Get a webhook endpoint',
    ok: { status: 200, schema: endpointSchema },
    errors: [404],
  });
  describeRoute(registry, {
    method: 'delete',
    path: '/v1/webhooks/{id}',
    summary: 'Delete a webhook endpoint',
    ok: { status: 204, description: 'deleted' },
    errors: [404],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries',
    summary: 'List an endpoint’s deliveries, newest first',
    query: pageQuery,
    ok: { status: 200, schema: list(deliverySchema) },
    errors: [400, 404],
  });
  describeRoute(registry, {
    method: 'post',
    path: '/v1/deliveries/{id}/replay',
    summary: 'Deliver again',
    ok: { status: 202, schema: z.object({ id: z.uuid(), status: z.literal('pending') }) },
    errors: [404],
  });
}

export function webhookRoutes({ rt, registry, resolve }: RouteDeps): Router {
  describe(registry);
  const key = encryptionKey(rt.config);
  const destination = {
    allowPrivate: rt.config.OUTDIAL_WEBHOOK_ALLOW_PRIVATE,
    resolve: resolve ?? systemResolver,
  };
  const router = Router();
  router.post('/webhooks', async (req, res) => {
    const input = parseBody(webhookInputSchema, req);
    const refusal = await webhookDestinationRefusal(input.url, destination);
    if (refusal) {
      requestLog(res).warn({ orgId: requestOrg(res).id, reason: refusal }, 'webhook.destination_refused');
      throw new UnprocessableError(DESTINATION_NOT_ALLOWED, [
        { path: 'url', message: 'the host must resolve, and only to public addresses' },
      ]);
    }
    const secret = input.secret ?? newWebhookSecret();
    const created = await repo.createEndpoint(rt.db, requestOrg(res).id, {
      url: input.url,
      events: input.events,
      secretEnc: encryptSecret(secret, key),
    });
    res.status(201).json({ ...endpointView(created), secret });
  });
  router.get('/webhooks', async (_req, res) => {
    const items = await repo.listEndpoints(rt.db, requestOrg(res).id);
    res.json({ items: items.map(endpointView) });
  });
  router.get('/webhooks/:id', async (req, res) => {
    const found = await repo.findEndpoint(rt.db, requestOrg(res).id, idParam(req, 'id', 'webhook'));
    if (!found) throw new NotFoundError('webhook not found');
    res.json(endpointView(found));
  });
  router.delete('/webhooks/:id', async (req, res) => {
    const deleted = await repo.deleteEndpoint(rt.db, requestOrg(res).id, idParam(req, 'id', 'webhook'));
    if (!deleted) throw new NotFoundError('webhook not found');
    res.status(204).end();
  });
  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const endpoint = await repo.findEndpoint(rt.db, requestOrg(res).id, idParam(req, 'id', 'webhook'));
    if (!endpoint) throw new NotFoundError('webhook not found');
    const q = parseQuery(pageQuery, req);
    const rows = await repo.listDeliveries(rt.db, endpoint.id, q.limit, decodeCursor(q.cursor));
    const { items, next } = page(rows, q.limit, (d) => ({ at: d.cursorAt, id: d.id }));
    res.json({ items: items.map(deliveryView), nextCursor: next });
  });
  router.post('/deliveries/:id/replay', async (req, res) => {
    const id = idParam(req, 'id', 'delivery');
    if (!(await repo.resetDeliveryForReplay(rt.db, requestOrg(res).id, id)))
      throw new NotFoundError('delivery not found');
    // A fresh job id: BullMQ ignores an add whose id matches a job it still remembers.
    await rt.queues.webhooks.add('deliver', webhookJobSchema.parse({ deliveryId: id }), {
      jobId: `replay-${id}-${randomUUID()}`,
    });
    res.status(202).json({ id, status: 'pending' });
  });
  return router;
}
