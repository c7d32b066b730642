// Contact ids say nothing about other orgs. They used to be one sequence for all orgs, so the gap
// between the ids of an org's two imports was how many contacts every other org imported between
// them. Imported through the API, admitted by the scheduler, read back from the attempts listing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduler } from '../../src/schedulers/main.js';
import { createApiHarness, type ApiHarness } from '../support/api.js';
import { alwaysOpenSchedule, insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

/** A version 7 uuid: 48 bits of milliseconds, then random bits. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let h: ApiHarness;

beforeAll(async () => {
  h = await createApiHarness('api_contact_ids');
});
afterAll(async () => {
  await h.teardown();
});

async function campaignOf(auth: string): Promise<string> {
  const res = await h.http
    .post('/v1/campaigns')
    .set('authorization', auth)
    .send({ name: 'Rx', mode: 'one_way', message: 'Hi', schedule: alwaysOpenSchedule })
    .expect(201);
  return (res.body as { id: string }).id;
}

async function importBatch(auth: string, campaignId: string, first: number, n: number): Promise<string> {
  const contacts = Array.from({ length: n }, (_, i) => ({ phone: `+1202555${String(first + i).padStart(4, '0')}` }));
  const res = await h.http
    .post(`/v1/campaigns/${campaignId}/batches`)
    .set('authorization', auth)
    .send({ name: 'B', maxConcurrency: 50, contacts })
    .expect(201);
  const report = res.body as { batchId: string; accepted: number };
  expect(report.accepted).toBe(n);
  return report.batchId;
}

async function contactIdsSeen(auth: string, batchId: string, n: number): Promise<string[]> {
  const body = await waitFor(
    async () => {
      const res = await h.http.get(`/v1/batches/${batchId}/attempts`).set('authorization', auth).expect(200);
      const b = res.body as { items: { contactId: string }[] };
      return b.items.length === n ? b : null;
    },
    { what: `${n} attempts listed` },
  );
  return body.items.map((i) => i.contactId);
}

describe('contact ids', () => {
  it('are uuids: the ids one org sees do not count another org’s imports', async () => {
    const a = await h.createOrg('Org A');
    const b = await h.createOrg('Org B');
    const [campaignA, campaignB] = [await campaignOf(a.auth), await campaignOf(b.auth)];
    const a1 = await importBatch(a.auth, campaignA, 1000, 3);
    await importBatch(b.auth, campaignB, 2000, 40);
    const a2 = await importBatch(a.auth, campaignA, 3000, 3);
    for (const id of [a1, a2]) await h.http.post(`/v1/batches/${id}/start`).set('authorization', a.auth).expect(200);

    await h.rt.db.updateTable('trunks').set({ cps: 10_000 }).execute();
    const scheduler = await startScheduler(h.rt, { tickMs: 100 });
    try {
      const seen = [...(await contactIdsSeen(a.auth, a1, 3)), ...(await contactIdsSeen(a.auth, a2, 3))];
      // With one sequence these were 1, 2, 3 and 44, 45, 46: 40 contacts of B's in between.
      for (const id of seen) expect(id).toMatch(UUID_V7);
      expect(new Set(seen).size).toBe(6);
      const stored = await h.rt.db.selectFrom('contacts').select('id').where('org_id', '=', a.id).execute();
      expect(new Set(seen)).toEqual(new Set(stored.map((c) => c.id)));
    } finally {
      await scheduler.close();
    }
  });

  it('have no counter: contacts created in the same millisecond get ids in random order', async () => {
    const { org } = await insertOrg(h.rt.db);
    const { campaign } = await insertCampaign(h.rt.db, org.id);
    const batch = await insertBatch(h.rt.db, org.id, campaign.id);
    await insertContacts(h.rt.db, org.id, batch.id, 2000);
    const rows = await h.rt.db.selectFrom('contacts').select('id').where('batch_id', '=', batch.id).orderBy('line').execute();
    const byMs = new Map<string, string[]>();
    for (const { id } of rows) byMs.set(id.slice(0, 13), [...(byMs.get(id.slice(0, 13)) ?? []), id]);
    const groups = [...byMs.values()];
    // Every group in creation order already sorted would be a counter (below 1 in 8! by chance).
    expect(Math.max(...groups.map((g) => g.length))).toBeGreaterThanOrEqual(8);
    expect(groups.some((g) => g.join() !== [...g].sort().join())).toBe(true);
  });
});
