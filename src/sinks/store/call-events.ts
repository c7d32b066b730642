// The audit log and the delivery rows that hang off it, written by one statement for any
// number of events. call_events is append-only and keyed by the event id, so an id that is
// already there is how a duplicate is recognised; delivery rows (one per enabled endpoint of
// the org subscribed to the type or `*`) are written with the event, so a stored event is
// never left without them.
import { sql } from 'kysely';
import type { Db } from '../../core/db/client.js';
import type { WebhookBody } from '../../core/events.js';

/** Stores the events; returns the new delivery ids of each event stored now (duplicates are absent). */
export async function recordCallEvents(
  db: Db,
  bodies: readonly WebhookBody[],
): Promise<Map<string, string[]>> {
  if (bodies.length === 0) return new Map();
  const input = bodies.map((b, n) => ({
    n,
    id: b.id,
    org_id: b.orgId,
    campaign_id: b.campaignId,
    batch_id: b.batchId,
    contact_id: b.contactId,
    attempt_id: b.attemptId,
    type: b.type,
    occurred_at: b.occurredAt,
    data: b.data,
    body: b,
  }));
  const r = await sql<{ id: string; ids: string[] }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as x(
        n int, id uuid, org_id uuid, campaign_id uuid, batch_id uuid, contact_id uuid, attempt_id uuid,
        type text, occurred_at timestamptz, data jsonb, body jsonb)
    ), ev as (
      insert into call_events (id, org_id, campaign_id, batch_id, contact_id, attempt_id, type, occurred_at, data)
      select id, org_id, campaign_id, batch_id, contact_id, attempt_id, type, occurred_at, data from input order by n
      on conflict (id) do nothing
      returning id, org_id, type
    ), d as (
      insert into webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload)
      select e.org_id, e.id, ev.id, ev.type, i.body
        from ev join input i on i.id = ev.id join webhook_endpoints e on e.org_id = ev.org_id
       where e.enabled and e.deleted_at is null and e.events && array[ev.type, '*']::text[]
      on conflict (endpoint_id, event_id) do nothing
      returning id, event_id
    )
    select ev.id::text as id, array(select d.id::text from d where d.event_id = ev.id) as ids from ev`.execute(
    db,
  );
  return new Map(r.rows.map((row) => [row.id, row.ids]));
}

/** One event; returns its new delivery ids, or null for a duplicate. */
export async function recordCallEvent(db: Db, body: WebhookBody): Promise<string[] | null> {
  return (await recordCallEvents(db, [body])).get(body.id) ?? null;
}
