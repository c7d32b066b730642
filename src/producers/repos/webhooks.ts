// Webhook endpoints and their deliveries. Secrets are stored only encrypted (secret_enc) and
// never read back by the API; a deleted endpoint is kept (soft delete) because deliveries
// reference it, but it disappears from every org-facing read.
import type { Db } from '../../core/db/client.js';
import type { DeliveryStatus } from '../../core/db/schema.js';
import { keysetPage, textOf, type Cursor } from './keyset.js';

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

const endpointColumns = ['id', 'url', 'events', 'enabled', 'disabled_reason', 'created_at'] as const;

function toEndpoint(r: {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
}): Endpoint {
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    createdAt: r.created_at,
  };
}

export async function createEndpoint(
  db: Db,
  orgId: string,
  input: { url: string; events: string[]; secretEnc: string },
): Promise<Endpoint> {
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      org_id: orgId,
      url: input.url,
      events: input.events,
      secret_enc: input.secretEnc,
      disabled_reason: null,
      deleted_at: null,
    })
    .returning(endpointColumns)
    .executeTakeFirstOrThrow();
  return toEndpoint(row);
}

export async function findEndpoint(db: Db, orgId: string, id: string): Promise<Endpoint | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select(endpointColumns)
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toEndpoint(row) : undefined;
}

export async function listEndpoints(db: Db, orgId: string): Promise<Endpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(endpointColumns)
    .where('org_id', '=', orgId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toEndpoint);
}

/** True when a live endpoint was deleted. */
export async function deleteEndpoint(db: Db, orgId: string, id: string, now = new Date()): Promise<boolean> {
  const res = await db
    .updateTable('webhook_endpoints')
    .set({ deleted_at: now, enabled: false })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface DeliveryItem {
  id: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
  cursorAt: string;
}

export async function listDeliveries(
  db: Db,
  endpointId: string,
  limit: number,
  after: Cursor | null,
): Promise<DeliveryItem[]> {
  const q = db
    .selectFrom('webhook_deliveries')
    .select([
      'id',
      'event_id',
      'event_type',
      'status',
      'attempts',
      'last_status_code',
      'last_error',
      'next_attempt_at',
      'created_at',
      'delivered_at',
      textOf('created_at').as('cursor_at'),
    ])
    .where('endpoint_id', '=', endpointId);
  const rows = await keysetPage(q, { time: 'created_at', id: 'id', order: 'desc', after, limit }).execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
    cursorAt: r.cursor_at,
  }));
}

/**
 * Puts a delivery of the org back to `pending`, due now, with a fresh attempt budget.
 * Returns false when the org has no such delivery (or its endpoint was deleted).
 */
export async function resetDeliveryForReplay(
  db: Db,
  orgId: string,
  id: string,
  now = new Date(),
): Promise<boolean> {
  const res = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('endpoint_id', 'in', (eb) =>
      eb
        .selectFrom('webhook_endpoints')
        .select('id')
        .where('org_id', '=', orgId)
        .where('deleted_at', 'is', null),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
