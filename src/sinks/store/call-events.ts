// The audit log and the delivery rows that hang off it. call_events is append-only and keyed by
// the event id, so inserting twice is how a duplicate is recognised. Delivery rows are written
// in the same transaction as the event: an event that is stored is never left without them.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { WebhookBody } from '../../core/events.js';

/** Appends the event; false when that id is already recorded (a duplicate). */
export async function insertCallEvent(db: Db, body: WebhookBody): Promise<boolean> {
  const row = await db
    .insertInto('call_events')
    .values({
      id: body.id,
      org_id: body.orgId,
      campaign_id: body.campaignId,
      batch_id: body.batchId,
      contact_id: body.contactId,
      attempt_id: body.attemptId,
      type: body.type,
      occurred_at: body.occurredAt,
      data: JSON.stringify(body.data),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** One pending delivery per enabled endpoint of the org that subscribes to the type (or `*`). */
export async function insertDeliveries(db: Db, body: WebhookBody): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    insert into webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload)
    select e.org_id, e.id, ${body.id}::uuid, ${body.type}, ${JSON.stringify(body)}::jsonb
      from webhook_endpoints e
     where e.org_id = ${body.orgId} and e.enabled and e.deleted_at is null
       and e.events && array[${body.type}, '*']::text[]
    on conflict (endpoint_id, event_id) do nothing
    returning id`.execute(db);
  return rows.rows.map((r) => r.id);
}

/** Stores the event and its deliveries; returns null for a duplicate. */
export async function recordCallEvent(db: Db, body: WebhookBody): Promise<string[] | null> {
  if (!(await insertCallEvent(db, body))) return null;
  return insertDeliveries(db, body);
}
