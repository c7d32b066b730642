// Shared set-up for the dialer's integration tests: queued attempts in Postgres, a recording
// CallEvents, and reading what landed on the `call-events` queue.
import type { Queue } from 'bullmq';
import { campaignInputSchema, type CampaignInput } from '../../src/core/campaign.js';
import type { Db } from '../../src/core/db/client.js';
import type { EventType } from '../../src/core/domain.js';
import type { CallEventJob } from '../../src/core/queues.js';
import { roomNameFor } from '../../src/dialer/call-metadata.js';
import type { CallEvents, DialRequest } from '../../src/dialer/telephony.js';
import { alwaysOpenSchedule, insertBatch, insertCampaign, insertOrg } from '../support/fixtures.js';

export interface QueuedAttempt {
  attemptId: string;
  phone: string;
}

/** An org, a one-way campaign, a running batch, and one queued attempt per phone. */
export async function queuedAttempts(
  db: Db,
  phones: readonly string[],
  campaign: Partial<CampaignInput> = {},
): Promise<{ attempts: QueuedAttempt[]; campaignId: string; batchId: string; orgId: string }> {
  const { org } = await insertOrg(db, { maxConcurrency: 1000 });
  const { campaign: c } = await insertCampaign(db, org.id, campaign);
  const batch = await insertBatch(db, org.id, c.id, { maxConcurrency: 1000 });
  const contacts = await db
    .insertInto('contacts')
    .values(
      phones.map((phone, i) => ({
        org_id: org.id,
        batch_id: batch.id,
        phone,
        timezones: ['UTC'],
        tz_source: 'explicit' as const,
        name: `Contact ${i}`,
        variables: JSON.stringify({ first_name: `Ana${i}` }),
        line: i + 2,
        status: 'in_progress' as const,
        attempts: 1,
      })),
    )
    .returning(['id', 'phone'])
    .execute();
  const attempts = await db
    .insertInto('attempts')
    .values(
      contacts.map((ct) => ({
        org_id: org.id,
        campaign_id: c.id,
        batch_id: batch.id,
        contact_id: ct.id,
        attempt: 1,
      })),
    )
    .returning(['id', 'contact_id'])
    .execute();
  const phoneOf = new Map(contacts.map((ct) => [ct.id, ct.phone]));
  return {
    attempts: attempts.map((a) => ({ attemptId: a.id, phone: phoneOf.get(a.contact_id) ?? '' })),
    campaignId: c.id,
    batchId: batch.id,
    orgId: org.id,
  };
}

/** A DialRequest without a database, for adapter tests. */
export function dialRequest(phone: string, campaign: Partial<CampaignInput> = {}): DialRequest {
  const attemptId = crypto.randomUUID();
  return {
    attemptId,
    orgId: crypto.randomUUID(),
    campaignId: crypto.randomUUID(),
    batchId: crypto.randomUUID(),
    contactId: crypto.randomUUID(),
    attempt: 1,
    phone,
    roomName: roomNameFor(attemptId),
    campaign: campaignInputSchema.parse({
      name: 'Rx',
      mode: 'one_way',
      message: 'Hi {{first_name}}, your prescription is ready at {{store}}.',
      schedule: alwaysOpenSchedule,
      ...campaign,
    }),
    timezones: ['America/New_York'],
    variables: { first_name: 'Ana', store: 'Main St' },
  };
}

export interface RecordedEvents extends CallEvents {
  readonly emitted: { type: EventType; data: Record<string, unknown> }[];
  /** Index in `emitted` at which ringing() was called, or null. */
  readonly rangAt: number | null;
}

export function recordingEvents(): RecordedEvents {
  const emitted: RecordedEvents['emitted'] = [];
  let rangAt: number | null = null;
  return {
    emitted,
    get rangAt() {
      return rangAt;
    },
    emit(type, data) {
      emitted.push({ type, data });
      return Promise.resolve();
    },
    ringing() {
      rangAt ??= emitted.length;
    },
  };
}

/** Everything waiting on `call-events` (no sink runs in these tests), oldest first. */
export async function pendingCallEvents(queue: Queue<CallEventJob>): Promise<CallEventJob[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1, true);
  return jobs.map((j) => j.data).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

export function eventsByAttempt(events: readonly CallEventJob[]): Map<string, EventType[]> {
  const out = new Map<string, EventType[]>();
  for (const e of events) {
    if (e.attemptId === null) continue;
    out.set(e.attemptId, [...(out.get(e.attemptId) ?? []), e.type]);
  }
  return out;
}
