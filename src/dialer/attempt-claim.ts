// The queued → dialing transition: the only guard against dialling a contact twice. The update is
// conditional on status = 'queued', so a redelivered, stalled or concurrent `dial` job that finds
// the attempt already past `queued` gets no row back and must not dial. It also returns everything
// the call needs in the same round trip.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../core/db/schema.js';
import { LEASE_MARGIN_MS } from '../core/leases.js';
import { roomNameFor } from './call-metadata.js';

export interface ClaimedAttempt {
  attemptId: string;
  orgId: string;
  campaignId: string;
  batchId: string;
  contactId: string;
  attempt: number;
  roomName: string;
  phone: string;
  contactName: string | null;
  timezones: string[];
  variables: Record<string, string>;
  /** campaigns.config as stored; the caller validates it. */
  campaignConfig: unknown;
}

export async function claimAttemptForDial(
  db: Kysely<Database>,
  attemptId: string,
  leaseMarginMs: number = LEASE_MARGIN_MS,
): Promise<ClaimedAttempt | null> {
  const row = await db
    .with('claimed', (qb) =>
      qb
        .updateTable('attempts')
        .set({
          status: 'dialing',
          started_at: sql<Date>`now()`,
          updated_at: sql<Date>`now()`,
          room_name: roomNameFor(attemptId),
        })
        .where('id', '=', attemptId)
        .where('status', '=', 'queued')
        // A cancelled batch's queued attempts are never dialled (calls already dialling finish).
        .where(sql<boolean>`not exists (select 1 from batches b where b.id = attempts.batch_id and b.status = 'cancelled')`)
        // The slot leases taken at admission last ring + max call + the lease margin: dialled within
        // the margin, the whole call is covered; later, the slots may be gone and the call would
        // run outside the limits.
        .where(sql<boolean>`queued_at > now() - make_interval(secs => ${leaseMarginMs / 1000})`)
        .returning(['id', 'org_id', 'campaign_id', 'batch_id', 'contact_id', 'attempt', 'room_name']),
    )
    .selectFrom('claimed')
    .innerJoin('contacts', 'contacts.id', 'claimed.contact_id')
    .innerJoin('campaigns', 'campaigns.id', 'claimed.campaign_id')
    .select([
      'claimed.id',
      'claimed.org_id',
      'claimed.campaign_id',
      'claimed.batch_id',
      'claimed.contact_id',
      'claimed.attempt',
      'claimed.room_name',
      'contacts.phone',
      'contacts.name',
      'contacts.timezones',
      'contacts.variables',
      'campaigns.config',
    ])
    .executeTakeFirst();
  if (!row) return null;
  return {
    attemptId: row.id,
    orgId: row.org_id,
    campaignId: row.campaign_id,
    batchId: row.batch_id,
    contactId: row.contact_id,
    attempt: row.attempt,
    roomName: row.room_name ?? roomNameFor(attemptId),
    phone: row.phone,
    contactName: row.name,
    timezones: row.timezones,
    variables: row.variables,
    campaignConfig: row.config,
  };
}

/**
 * Why a still-queued attempt will never be claimed: its batch was cancelled, or it waited in the
 * dial queue past the lease margin. Null when it is not queued (already claimed or finished).
 */
export async function unclaimable(
  db: Kysely<Database>,
  attemptId: string,
  leaseMarginMs: number = LEASE_MARGIN_MS,
): Promise<'cancelled' | 'expired' | null> {
  const row = await db
    .selectFrom('attempts')
    .innerJoin('batches', 'batches.id', 'attempts.batch_id')
    .select([
      'attempts.status as attemptStatus',
      'batches.status as batchStatus',
      sql<boolean>`attempts.queued_at <= now() - make_interval(secs => ${leaseMarginMs / 1000})`.as('expired'),
    ])
    .where('attempts.id', '=', attemptId)
    .executeTakeFirst();
  if (row?.attemptStatus !== 'queued') return null;
  if (row.batchStatus === 'cancelled') return 'cancelled';
  return row.expired ? 'expired' : null;
}
