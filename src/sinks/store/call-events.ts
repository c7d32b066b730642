// The audit log and the delivery rows that hang off it, written by one statement. call_events
// is append-only and keyed by the event id, so inserting twice is how a duplicate is
// recognised; delivery rows are written with the event (one per enabled endpoint of the org
// subscribed to the type or `*`), so an event that is stored is never left without them.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { WebhookBody } from '../../core/events.js';

/** Stores the event and its deliveries; returns the new delivery ids, or null for a duplicate. */
export async function recordCallEvent(db: Db, body: WebhookBody): Promise<string[] | null> {
  const r = await sql<{ stored: number; ids: string[] }>`
    with ev as (
      insert into call_events (id, org_id, campaign_id, batch_id, contact_id, attempt_id, type, occurred_at, data)
      values (${body.id}, ${body.orgId}, ${body.campaignId}, ${body.batchId}, ${body.contactId}, ${body.attemptId},
              ${body.type}, ${body.occurredAt}, ${JSON.stringify(body.data)}::jsonb)
      on conflict (id) do nothing
      returning id, org_id, type
    ), d as (
      insert into webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload)
      select e.org_id, e.id, ev.id, ev.type, ${JSON.stringify(body)}::jsonb
        from ev join webhook_endpoints e on e.org_id = ev.org_id
       where e.enabled and e.deleted_at is null and e.events && array[ev.type, '*']::text[]
      on conflict (endpoint_id, event_id) do nothing
      returning id
    )
    select (select count(*) from ev)::int as stored, array(select id::text from d) as ids`.execute(db);
  const row = r.rows[0];
  return row && row.stored > 0 ? row.ids : null;
}
