// Queue names and job payloads: the contract between roles, defined once. Producers build
// payloads with these schemas; workers validate what they pull.
import { z } from 'zod';
import { Queue, type ConnectionOptions, type QueueOptions } from 'bullmq';
import { eventTypes } from './domain.js';

export const queueNames = {
  dial: 'dial',
  callEvents: 'call-events',
  webhooks: 'webhooks',
  scheduler: 'scheduler',
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

/** jobId = attemptId: BullMQ refuses a second job with the same id while the first exists. */
export const dialJobSchema = z.object({ attemptId: z.uuid() }).strict();
export type DialJob = z.infer<typeof dialJobSchema>;

/** One event about an attempt or a batch. `id` is the idempotency key end to end (jobId, call_events.id, webhook id). */
export const callEventJobSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(eventTypes),
    attemptId: z.uuid().nullable(),
    /** For batch-level events without an attempt. */
    batchId: z.uuid().nullable().optional(),
    occurredAt: z.iso.datetime({ offset: true }),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type CallEventJob = z.infer<typeof callEventJobSchema>;

export const webhookJobSchema = z.object({ deliveryId: z.uuid() }).strict();
export type WebhookJob = z.infer<typeof webhookJobSchema>;

export function queueOptions(connection: ConnectionOptions, prefix: string): QueueOptions {
  return {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 86400 } },
  };
}

export function createQueue<T>(name: QueueName, connection: ConnectionOptions, prefix: string): Queue<T> {
  return new Queue<T>(name, queueOptions(connection, prefix));
}

export type RequeueResult = 'added' | 'retried' | 'pending' | 'completed';

/**
 * Puts a job back if Redis lost it (`add`, under the same id) or it failed (retried); one still
 * waiting, delayed or running is left alone (`pending`), and so is one already `completed`.
 * A failed job another process retried first counts as retried.
 */
export async function requeueJob(queue: Queue, jobId: string, add: () => Promise<unknown>): Promise<RequeueResult> {
  const job = await queue.getJob(jobId);
  if (!job) {
    await add();
    return 'added';
  }
  const state = await job.getState();
  if (state === 'completed') return 'completed';
  if (state !== 'failed') return 'pending';
  try {
    await job.retry('failed');
  } catch (err) {
    // Retried by another scheduler between the read and now: the job is back either way.
    if ((await job.getState()) === 'failed') throw err;
  }
  return 'retried';
}
