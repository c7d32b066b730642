// Migration 0002 on a database that already holds bigint-keyed contacts (a deployment made
// before it): every contact gets a uuid and every reference to it, in columns and inside stored
// JSON, follows; nothing is lost and the constraints hold again afterwards.
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationsCurrent, migrationsDir } from '../../src/core/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertBatch, insertCampaign, insertOrg } from '../support/fixtures.js';

const MIGRATION = '0002_opaque_contact_ids';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestDatabase;
let before: string;

beforeAll(async () => {
  before = await mkdtemp(join(tmpdir(), 'outdial-migrations-'));
  for (const f of await readdir(migrationsDir)) {
    if (f.endsWith('.sql') && f !== `${MIGRATION}.sql`) await copyFile(join(migrationsDir, f), join(before, f));
  }
  t = await createTestDatabase('migration_contact_ids', before);
});
afterAll(async () => {
  await t.drop();
  await rm(before, { recursive: true, force: true });
});

interface Legacy {
  orgId: string;
  endpointId: string;
  /** Old bigint id (as pg returns it, text) by phone. */
  oldIds: Map<string, string>;
  attemptIds: Map<string, string>;
}

/** What a deployment before 0002 holds: contacts of two orgs, attempts, events, deliveries, outbox rows. */
async function seedLegacy(): Promise<Legacy> {
  const db = t.db;
  const oldIds = new Map<string, string>();
  const attemptIds = new Map<string, string>();
  let first: Legacy | null = null;
  for (const [label, phones] of [
    ['A', ['+12025550101', '+12025550102', '+12025550103']],
    ['B', ['+12025550201', '+12025550202']],
  ] as const) {
    const { org } = await insertOrg(db, { name: `Org ${label}` });
    const { campaign } = await insertCampaign(db, org.id);
    const batch = await insertBatch(db, org.id, campaign.id);
    const endpoint = await db
      .insertInto('webhook_endpoints')
      .values({ org_id: org.id, url: 'https://example.com/hook', events: ['*'], secret_enc: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const phone of phones) {
      const { rows } = await sql<{ id: string }>`
        insert into contacts (org_id, batch_id, phone, timezones, tz_source, status, attempts)
        values (${org.id}, ${batch.id}, ${phone}, '{UTC}', 'explicit', 'finished', 1) returning id`.execute(db);
      const oldId = rows[0]!.id;
      oldIds.set(phone, oldId);
      const attempt = await sql<{ id: string }>`
        insert into attempts (org_id, campaign_id, batch_id, contact_id, attempt, status, outcome)
        values (${org.id}, ${campaign.id}, ${batch.id}, ${oldId}, 1, 'finished', 'completed') returning id`.execute(db);
      const attemptId = attempt.rows[0]!.id;
      attemptIds.set(phone, attemptId);
      const body = {
        id: crypto.randomUUID(),
        type: 'contact.finished',
        occurredAt: new Date().toISOString(),
        orgId: org.id,
        campaignId: campaign.id,
        batchId: batch.id,
        contactId: oldId,
        attemptId,
        data: { outcome: 'completed' },
      };
      // A DNC finish has no attempt: the contact is named only inside its data.
      const dnc = { ...body, id: crypto.randomUUID(), contactId: null, attemptId: null, data: { contactId: oldId, outcome: 'dnc' } };
      for (const b of [body, dnc]) {
        await sql`insert into call_events (id, org_id, campaign_id, batch_id, contact_id, attempt_id, type, occurred_at, data)
          values (${b.id}, ${org.id}, ${campaign.id}, ${batch.id}, ${b.contactId}, ${b.attemptId}, ${b.type},
                  ${b.occurredAt}, ${JSON.stringify(b.data)})`.execute(db);
        await db
          .insertInto('webhook_deliveries')
          .values({ org_id: org.id, endpoint_id: endpoint.id, event_id: b.id, event_type: b.type, payload: JSON.stringify(b) })
          .execute();
      }
      const queued = { id: crypto.randomUUID(), type: 'contact.finished', attemptId: null, batchId: batch.id, occurredAt: body.occurredAt, data: { contactId: oldId, outcome: 'dnc' } };
      await db.insertInto('event_outbox').values({ id: queued.id, event: JSON.stringify(queued) }).execute();
    }
    first ??= { orgId: org.id, endpointId: endpoint.id, oldIds, attemptIds };
  }
  return first!;
}

describe(`migration ${MIGRATION}`, () => {
  it('gives existing contacts uuids and carries every reference to them over', async () => {
    const legacy = await seedLegacy();
    expect(await migrationsCurrent(t.db, before)).toBe(true);

    expect(await migrateToLatest(t.db)).toContain(MIGRATION);
    expect(await migrationsCurrent(t.db)).toBe(true);

    const contacts = await t.db.selectFrom('contacts').select(['id', 'legacy_id', 'phone']).execute();
    expect(contacts).toHaveLength(5);
    const newIds = new Map<string, string>();
    for (const c of contacts) {
      expect(c.id).toMatch(UUID);
      expect(c.legacy_id).toBe(legacy.oldIds.get(c.phone));
      newIds.set(c.legacy_id!, c.id);
    }
    expect(new Set(newIds.values()).size).toBe(5);

    const attempts = await t.db
      .selectFrom('attempts as a')
      .innerJoin('contacts as c', 'c.id', 'a.contact_id')
      .select(['a.id', 'a.contact_id', 'c.phone'])
      .execute();
    expect(attempts).toHaveLength(5);
    for (const a of attempts) expect(a.id).toBe(legacy.attemptIds.get(a.phone));

    const events = await t.db.selectFrom('call_events').select(['contact_id', 'attempt_id', 'data']).execute();
    expect(events).toHaveLength(10);
    const attemptContact = new Map(attempts.map((a) => [a.id, a.contact_id]));
    for (const e of events) {
      if (e.attempt_id) expect(e.contact_id).toBe(attemptContact.get(e.attempt_id));
      else expect([e.contact_id, e.data.contactId]).toEqual([null, expect.stringMatching(UUID)]);
    }
    const dncNamed = events.flatMap((e) => (e.attempt_id ? [] : [e.data.contactId]));
    expect(new Set(dncNamed)).toEqual(new Set(newIds.values()));

    const payloads = await t.db.selectFrom('webhook_deliveries').select('payload').execute();
    expect(payloads).toHaveLength(10);
    for (const { payload } of payloads) {
      const named = payload.attemptId ? payload.contactId : (payload.data as Record<string, unknown>).contactId;
      expect(named).toMatch(UUID);
      if (payload.attemptId) expect(named).toBe(attemptContact.get(payload.attemptId as string));
    }
    const outbox = await t.db.selectFrom('event_outbox').select('event').execute();
    expect(new Set(outbox.map((o) => (o.event.data as Record<string, unknown>).contactId))).toEqual(new Set(newIds.values()));
  });

  it('keeps the contact foreign key and the one-row-per-attempt-number rule, and new contacts get fresh uuids', async () => {
    const attempt = await t.db.selectFrom('attempts').selectAll().limit(1).executeTakeFirstOrThrow();
    const again = { ...attempt, id: crypto.randomUUID() };
    await expect(t.db.insertInto('attempts').values(again).execute()).rejects.toMatchObject({ code: '23505' });
    await expect(
      t.db.insertInto('attempts').values({ ...again, contact_id: crypto.randomUUID(), attempt: 9 }).execute(),
    ).rejects.toMatchObject({ code: '23503' });

    const fresh = await t.db
      .insertInto('contacts')
      .values({ org_id: attempt.org_id, batch_id: attempt.batch_id, phone: '+12025550999', timezones: ['UTC'], tz_source: 'explicit', variables: '{}' })
      .returning(['id', 'legacy_id'])
      .executeTakeFirstOrThrow();
    expect(fresh.id).toMatch(UUID);
    expect(fresh.legacy_id).toBeNull();
    await t.db.insertInto('attempts').values({ ...again, contact_id: fresh.id }).execute();
  });
});
