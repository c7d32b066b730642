// Building and emitting call events. Every role that observes something about a call sends it
// to the `call-events` queue; sinks are the only writer of call_events and attempt outcomes.
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { EventType } from './domain.js';
import { callEventJobSchema, type CallEventJob } from './queues.js';

export function newCallEvent(
  type: EventType,
  attemptId: string | null,
  data: Record<string, unknown> = {},
  occurredAt: Date = new Date(),
): CallEventJob {
  return { id: randomUUID(), type, attemptId, occurredAt: occurredAt.toISOString(), data };
}

/** Adds the event with jobId = event id, so a retried emit never duplicates it. */
export async function emitCallEvent(queue: Queue<CallEventJob>, event: CallEventJob): Promise<void> {
  const valid = callEventJobSchema.parse(event);
  await queue.add(valid.type, valid, { jobId: valid.id, attempts: 10, backoff: { type: 'exponential', delay: 500 } });
}

/** The webhook body (contract): what downstream systems receive and verify. */
export interface WebhookBody {
  id: string;
  type: EventType;
  occurredAt: string;
  orgId: string;
  campaignId: string | null;
  batchId: string | null;
  contactId: string | null;
  attemptId: string | null;
  data: Record<string, unknown>;
}
