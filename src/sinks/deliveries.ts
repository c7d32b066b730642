// Queue side of webhook deliveries. A job only points at a delivery row; job ids make adding
// the same reminder twice harmless (BullMQ ignores a job id it already holds).
import type { Queue } from 'bullmq';
import { requeueJob, type WebhookJob } from '../core/queues.js';

// A try that failed for a passing reason (Postgres restarting) is tried again; the delivery row's
// claim keeps two jobs for one delivery from both sending.
const jobOpts = {
  removeOnComplete: true,
  removeOnFail: { age: 86_400 },
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

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

/**
 * The sweep's reminder for a delivery overdue without a try, one per (delivery, tries so far):
 * its own job id, because the try's job may still be held (failed, or delayed far off) under the
 * retry's id, and BullMQ ignores an id it holds. A reminder still waiting is left alone, so a
 * backlogged queue does not get another copy every sweep; a failed one is retried.
 */
export async function enqueueOverdue(
  queue: Queue<WebhookJob>,
  overdue: readonly { id: string; attempts: number }[],
): Promise<number> {
  let queued = 0;
  for (const d of overdue) {
    const jobId = `${d.id}-s${d.attempts}`;
    const add = () => queue.add('deliver', { deliveryId: d.id }, { ...jobOpts, jobId });
    const r = await requeueJob(queue, jobId, add);
    // Completed (removed at once) means an earlier reminder ran and the delivery is overdue again.
    if (r === 'completed') await queue.add('deliver', { deliveryId: d.id }, { ...jobOpts, jobId: `${jobId}-${Date.now()}` });
    if (r !== 'pending') queued++;
  }
  return queued;
}
