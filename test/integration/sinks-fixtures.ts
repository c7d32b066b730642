// Fixtures for the sinks' integration tests: attempts in a given status, webhook endpoints
// with an encrypted secret, a lease releaser that records what it released, and an event emitter.
import type { Db } from '../../src/core/db/client.js';
import type { AttemptStatus, EventType } from '../../src/core/domain.js';
import { emitCallEvent, newCallEvent } from '../../src/core/events.js';
import type { Runtime } from '../../src/core/runtime.js';
import { DEV_ENCRYPTION_KEY, encryptSecret, newWebhookSecret } from '../../src/core/secrets.js';
import type { LeaseReleaser } from '../../src/sinks/call-events-worker.js';

export async function insertAttempt(
  db: Db,
  c: { id: string; org_id: string; batch_id: string },
  campaignId: string,
  opts: { attempt?: number; status?: AttemptStatus } = {},
) {
  await db.updateTable('contacts').set({ status: 'in_progress' }).where('id', '=', c.id).execute();
  return db
    .insertInto('attempts')
    .values({
      org_id: c.org_id,
      campaign_id: campaignId,
      batch_id: c.batch_id,
      contact_id: c.id,
      attempt: opts.attempt ?? 1,
      status: opts.status ?? 'queued',
      outcome: null,
      amd: null,
      sip_status: null,
      sip_reason: null,
      room_name: null,
      started_at: null,
      answered_at: null,
      ended_at: null,
      duration_ms: null,
      recording_url: null,
      transcript: null,
      outcome_data: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertEndpoint(db: Db, orgId: string, url: string, events: string[] = ['*']) {
  const secret = newWebhookSecret();
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      org_id: orgId,
      url,
      events,
      secret_enc: encryptSecret(secret, DEV_ENCRYPTION_KEY),
      disabled_reason: null,
      deleted_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { endpoint: row, secret };
}

/** Records released attempt ids, then passes the release on to `inner` (the real leases) if given. */
export function recordingLeases(inner?: LeaseReleaser): LeaseReleaser & { released: string[] } {
  const released: string[] = [];
  return {
    released,
    async release(a) {
      released.push(a.attemptId);
      await inner?.release(a);
    },
  };
}

export async function emit(
  rt: Runtime,
  type: EventType,
  attemptId: string | null,
  data: Record<string, unknown> = {},
  extra: { occurredAt?: Date; batchId?: string } = {},
) {
  const ev = {
    ...newCallEvent(type, attemptId, data, extra.occurredAt),
    ...(extra.batchId ? { batchId: extra.batchId } : {}),
  };
  await emitCallEvent(rt.queues.callEvents, ev);
  return ev;
}

export async function eventsOf(db: Db, attemptId: string) {
  return db
    .selectFrom('call_events')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .orderBy('seq')
    .execute();
}
