// Queue names and job payloads: the contract between roles, defined once. Producers build
// payloads with these schemas; workers validate what they pull.
import { z } from 'zod';
import { Queue, type ConnectionOptions, type QueueOptions } from 'bullmq';
import { eventTypes, type EventType } from './domain.js';
import { eventDataSchemas } from './event-data.js';

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
const callEventEnvelope = z
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
/** An event as producers build and queues carry it; `callEventJobSchema` checks its data for its type. */
export type CallEventJob = z.infer<typeof callEventEnvelope>;

function eventOf<T extends EventType>(type: T) {
  return callEventEnvelope.extend({ type: z.literal(type), data: eventDataSchemas[type] });
}
type EventOptions<T extends readonly EventType[]> = {
  -readonly [K in keyof T]: T[K] extends EventType ? ReturnType<typeof eventOf<T[K]>> : never;
};

/**
 * The events as a union on `type`, each with its own `data` schema: every emit parses with it (a
 * malformed event fails its producer) and so does the call-events worker (an unknown or malformed
 * event fails for good, with the reason, and is never half-applied).
 */
export const callEventJobSchema = z.discriminatedUnion('type', eventTypes.map(eventOf) as unknown as EventOptions<typeof eventTypes>);
/** A parsed event: `data` typed by `type`. */
export type CallEvent = z.infer<typeof callEventJobSchema>;

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
