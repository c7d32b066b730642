// The one home of batch completion (core/sql/batches/complete.ts): the lifecycle's guard, the
// drained condition, one event per batch with one id whoever wins, in the outbox with the change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchStatuses, type BatchStatus } from '../../src/core/domain.js';
import { batchTransition } from '../../src/core/batch-lifecycle.js';
import { batchCompletedEventId, completeBatches } from '../../src/core/sql/batches/complete.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';

let rt: TestRuntime;
let orgId: string;
let campaignId: string;

beforeAll(async () => {
  rt = await createTestRuntime('batch_transitions');
  orgId = (await insertOrg(rt.db)).org.id;
  campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
});

afterAll(async () => {
  await rt.teardown();
});

async function drainedBatch(status: BatchStatus) {
  const batch = await insertBatch(rt.db, orgId, campaignId, { status });
  const [c] = await insertContacts(rt.db, orgId, batch.id, 1);
  await rt.db.updateTable('contacts').set({ status: 'finished' }).where('id', '=', c!.id).execute();
  return batch;
}

const statusOf = async (id: string) =>
  (await rt.db.selectFrom('batches').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('batch completion', () => {
  it('completes a drained batch from exactly the statuses the lifecycle allows', async () => {
    for (const status of batchStatuses) {
      const b = await drainedBatch(status);
      const events = await completeBatches(rt.db, rt.queues.callEvents, [b.id]);
      const allowed = batchTransition(status, 'complete', { now: new Date(), startAt: null }).ok;
      expect({ status, completed: events.length }).toEqual({ status, completed: allowed ? 1 : 0 });
      expect(await statusOf(b.id)).toBe(allowed ? 'completed' : status);
    }
  });

  it('leaves a batch with a contact still to call', async () => {
    const b = await insertBatch(rt.db, orgId, campaignId, { status: 'running' });
    await insertContacts(rt.db, orgId, b.id, 1);
    expect(await completeBatches(rt.db, rt.queues.callEvents, [b.id])).toEqual([]);
    expect(await statusOf(b.id)).toBe('running');
  });

  it('announces a batch once, under one id, however many callers race, with its outbox row', async () => {
    const b = await drainedBatch('running');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => completeBatches(rt.db, rt.queues.callEvents, [b.id])),
    );
    const events = results.flat();
    expect(events.map((e) => [e.type, e.id, e.batchId])).toEqual([
      ['batch.completed', batchCompletedEventId(b.id), b.id],
    ]);
    const outbox = await rt.db.selectFrom('event_outbox').select('id').where('id', '=', events[0]!.id).execute();
    expect(outbox).toHaveLength(1);
    expect(await rt.queues.callEvents.getJob(events[0]!.id)).toBeDefined();
  });

  it('completes every drained batch when no ids are given (the reconciler)', async () => {
    const b = await drainedBatch('paused');
    const events = await completeBatches(rt.db, rt.queues.callEvents);
    expect(events.map((e) => e.batchId)).toContain(b.id);
    expect(await statusOf(b.id)).toBe('completed');
  });
});
