// Queue side of webhook deliveries. A job only points at a delivery row; job ids make adding
// the same reminder twice harmless (BullMQ ignores a job id it already holds).
import type { Queue } from 'bullmq';
import type { WebhookJob } from '../core/queues.js';

const jobOpts = { removeOnComplete: true, removeOnFail: { age: 86_400 } } as const;

export async function enqueueDeliveries(queue: Queue<WebhookJob>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await queue.addBulk(
    ids.map((id) => ({ name: 'deliver', data: { deliveryId: id }, opts: { ...jobOpts, jobId: id } })),
  );
}

/** The reminder for try number `attempts + 1`, delayed until its time. */
export async function enqueueRetry(
  queue: Queue<WebhookJob>,
  deliveryId: string,
  attempts: number,
  at: Date,
): Promise<void> {
  await queue.add(
    'deliver',
    { deliveryId },
    { ...jobOpts, jobId: `${deliveryId}-r${attempts}`, delay: Math.max(0, at.getTime() - Date.now()) },
  );
}
