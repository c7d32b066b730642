// POST /v1/batches/:id/{start,pause,resume,cancel}: thin over applyBatchAction. The batch
// event is emitted after the change commits, through the outbox and call-events like every
// other event (the sinks write call_events); in-flight calls are left to finish.
import { Router } from 'express';
import { z } from 'zod';
import { clientBatchActions } from '../../core/batch-lifecycle.js';
import { batchStatuses } from '../../core/domain.js';
import { emitDurably, newCallEvent } from '../../core/events.js';
import { requestLog, requestOrg } from '../http/context.js';
import { idParam } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { applyBatchAction } from '../repos/batch-transitions.js';
import type { RouteDeps } from './deps.js';

const lifecycleResultSchema = z.object({
  id: z.uuid(),
  status: z.enum(batchStatuses),
  cancelledContacts: z.number().int().optional(),
});

export function batchLifecycleRoutes({ rt, registry, now }: RouteDeps): Router {
  const router = Router();
  for (const action of clientBatchActions) {
    describeRoute(registry, {
      method: 'post',
      path: `/v1/batches/{id}/${action}`,
      summary: `${action[0]?.toUpperCase()}${action.slice(1)} a batch`,
      ok: { status: 200, schema: lifecycleResultSchema },
      errors: [404, 409],
    });
    router.post(`/batches/:id/${action}`, async (req, res) => {
      const org = requestOrg(res);
      const at = now?.() ?? new Date();
      const applied = await applyBatchAction(rt.db, org.id, idParam(req, 'id', 'batch'), action, at);
      const { batch } = applied;
      if (applied.event) {
        const data = {
          orgId: org.id,
          from: applied.from,
          status: batch.status,
          action,
          ...(action === 'cancel' ? { cancelledContacts: applied.cancelledContacts } : {}),
        };
        await emitDurably(rt.db, rt.queues.callEvents, [
          { ...newCallEvent(applied.event, null, data, at), batchId: batch.id },
        ]);
      }
      requestLog(res).info(
        { batchId: batch.id, orgId: org.id, action, status: batch.status },
        'batch.transition',
      );
      res.json({
        id: batch.id,
        status: batch.status,
        ...(action === 'cancel' ? { cancelledContacts: applied.cancelledContacts } : {}),
      });
    });
  }
  return router;
}
