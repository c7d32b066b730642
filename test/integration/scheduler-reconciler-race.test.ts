// The reconciler compares leases in Redis with open attempts in Postgres while calls keep finishing.
// A call that ends between its two reads must not get its slot "restored"; a slot taken by an
// admission that never committed must not be held for a whole lease TTL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { callDeadlineMs } from '../../src/core/call-deadline.js';
import { callLimitDefaults } from '../../src/core/campaign.js';
import { createSlotLeases, LEASE_MARGIN_MS, leaseKeys, type SlotLeases } from '../../src/core/leases.js';
import { ORPHAN_LEASE_GRACE_MS, reconcile } from '../../src/schedulers/reconciler.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await createTestRuntime('sched_reconcile_race');
});
afterAll(async () => {
  await rt.teardown();
});

describe('reconciler', () => {
  it('does not restore the slot of a call that finished while the reconciler was reading', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const batch = await insertBatch(rt.db, org.id, campaign.id);
    const [contact] = await insertContacts(rt.db, org.id, batch.id, 1, { firstNumber: 7000 });
    const attempt = await rt.db
      .insertInto('attempts')
      .values({
        org_id: org.id,
        campaign_id: campaign.id,
        batch_id: batch.id,
        contact_id: contact!.id,
        attempt: 1,
        status: 'dialing',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const base = createSlotLeases(rt.redis, rt.keys);
    const owner = { orgId: org.id, batchId: batch.id, attemptId: attempt.id };
    expect(await base.acquire({ ...owner, limits: { org: 5, batch: 5, system: 100 }, ttlMs: 60_000 })).toBe(
      true,
    );
    await base.markReady();

    // The sinks finish the call and free its slots just as the reconciler looks at the leases.
    const finishing: SlotLeases = {
      ...base,
      async held() {
        await sql`update attempts set status = 'finished', outcome = 'completed', ended_at = now() where id = ${attempt.id}`.execute(
          rt.db,
        );
        await base.release(owner);
        return base.held();
      },
    };
    const r = await reconcile(rt, finishing);

    expect(r.restored).toBe(0);
    expect(await rt.redis.zscore(leaseKeys(rt.keys).batch(batch.id), attempt.id)).toBeNull();
    expect((await base.active({ orgIds: [org.id], batchIds: [batch.id] })).batch.get(batch.id)).toBe(0);
  });

  it('frees a slot orphaned by a scheduler that died before committing its attempt, but not one still committing', async () => {
    const { org } = await insertOrg(rt.db, { maxConcurrency: 5 });
    const { campaign } = await insertCampaign(rt.db, org.id);
    const batch = await insertBatch(rt.db, org.id, campaign.id);
    const leases = createSlotLeases(rt.redis, rt.keys);
    await leases.markReady();
    const limits = { org: 5, batch: 5, system: 100 };
    const ttl = callDeadlineMs(callLimitDefaults, LEASE_MARGIN_MS);
    const orphan = { orgId: org.id, batchId: batch.id, attemptId: randomUUID() };
    const committing = { orgId: org.id, batchId: batch.id, attemptId: randomUUID() };
    // A lease whose expiry says it was taken a little over the grace ago, and one taken just now.
    await leases.acquire({ ...orphan, limits, ttlMs: ttl - ORPHAN_LEASE_GRACE_MS - 5_000 });
    await leases.acquire({ ...committing, limits, ttlMs: ttl });

    const r = await reconcile(rt, leases);

    expect(r.released).toBe(1);
    const batchSet = leaseKeys(rt.keys).batch(batch.id);
    expect(await rt.redis.zscore(batchSet, orphan.attemptId)).toBeNull();
    expect(await rt.redis.zscore(batchSet, committing.attemptId)).not.toBeNull();
  });
});
