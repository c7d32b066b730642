// GET /v1/batches/:id/attempts: the batch's attempts in queue order, cursor-paginated, in the
// contract item shape.
import { Router } from 'express';
import { z } from 'zod';
import { attemptOutcomes, attemptStatuses } from '../../core/domain.js';
import { NotFoundError } from '../../core/errors.js';
import { requestOrg } from '../http/context.js';
import { decodeCursor, page, pageQuery } from '../http/cursor.js';
import { idParam, parseQuery } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { listAttempts, type AttemptItem } from '../repos/attempts.js';
import { findBatch } from '../repos/batches.js';
import type { RouteDeps } from './deps.js';

const when = z.iso.datetime().nullable();
const attemptItemSchema = z.object({
  id: z.uuid(),
  contactId: z.uuid(),
  phone: z.string().describe('E.164'),
  attempt: z.number().int(),
  status: z.enum(attemptStatuses),
  outcome: z.enum(attemptOutcomes).nullable(),
  amd: z.unknown().nullable(),
  sipStatus: z.number().int().nullable(),
  startedAt: when,
  answeredAt: when,
  endedAt: when,
  durationMs: z.number().int().nullable(),
  recordingUrl: z.string().nullable(),
  transferredTo: z.string().nullable().describe('where a cold transfer handed the callee (E.164 or SIP URI)'),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function attemptView(a: AttemptItem) {
  return {
    id: a.id,
    contactId: a.contactId,
    phone: a.phone,
    attempt: a.attempt,
    status: a.status,
    outcome: a.outcome,
    amd: a.amd ?? null,
    sipStatus: a.sipStatus,
    startedAt: iso(a.startedAt),
    answeredAt: iso(a.answeredAt),
    endedAt: iso(a.endedAt),
    durationMs: a.durationMs,
    recordingUrl: a.recordingUrl,
    transferredTo: a.transferredTo,
  };
}

export function attemptRoutes({ rt, registry }: RouteDeps): Router {
  describeRoute(registry, {
    method: 'get',
    path: '/v1/batches/{id}/attempts',
    summary: 'List a batch’s attempts in queue order',
    query: pageQuery,
    ok: {
      status: 200,
      schema: z.object({ items: z.array(attemptItemSchema), nextCursor: z.string().nullable() }),
    },
    errors: [400, 404],
  });
  const router = Router();
  router.get('/batches/:id/attempts', async (req, res) => {
    const batch = await findBatch(rt.db, requestOrg(res).id, idParam(req, 'id', 'batch'));
    if (!batch) throw new NotFoundError('batch not found');
    const q = parseQuery(pageQuery, req);
    const rows = await listAttempts(rt.db, batch.id, q.limit, decodeCursor(q.cursor));
    const { items, next } = page(rows, q.limit, (a) => ({ at: a.cursorAt, id: a.id }));
    res.json({ items: items.map(attemptView), nextCursor: next });
  });
  return router;
}
