// The chaos run's data, inserted straight into Postgres: several orgs with tight concurrency
// limits, a campaign each (windows always open, short retry delays so retries happen during the
// run, voicemail retried only after a day so some contacts end the run waiting), batches with
// limits below their org's, contacts spread unevenly, and a webhook endpoint per org.
import type { Db } from '../../src/core/db/client.js';
import { encryptSecret } from '../../src/core/secrets.js';
import { insertBatch, insertCampaign, insertOrg } from '../support/fixtures.js';
import { seededRandom } from './fault-schedule.js';

export interface SeedPlan {
  seed: number;
  contacts: number;
  /** One entry per org: its concurrency limit and its batches' limits. */
  orgs: readonly { maxConcurrency: number; batches: readonly number[] }[];
  maxAttempts: number;
  webhookUrl: string;
  webhookSecret: string;
  encryptionKey: string;
  /** Calls per second the trunk allows (admission's token bucket). */
  trunkCps: number;
}

export interface SeededWorld {
  orgLimits: Map<string, number>;
  batchLimits: Map<string, number>;
  batchOrg: Map<string, string>;
  orgKeys: Map<string, string>;
  contacts: number;
}

export const shortRetry = { busy: '3s', no_answer: '3s', voicemail: '24h', failed: '3s' } as const;

/** The shortest call limits the contract allows: an attempt whose events were lost is given up sooner. */
export const callLimits = { ringTimeoutSeconds: 5, maxCallSeconds: 10 } as const;

export async function seedWorld(db: Db, plan: SeedPlan): Promise<SeededWorld> {
  const random = seededRandom(plan.seed ^ 0x5eed);
  const world: SeededWorld = { orgLimits: new Map(), batchLimits: new Map(), batchOrg: new Map(), orgKeys: new Map(), contacts: 0 };
  const batchIds: string[] = [];
  for (const [i, o] of plan.orgs.entries()) {
    const { org, apiKey } = await insertOrg(db, { name: `chaos org ${i}`, maxConcurrency: o.maxConcurrency });
    world.orgLimits.set(org.id, o.maxConcurrency);
    world.orgKeys.set(org.id, apiKey);
    const { campaign } = await insertCampaign(db, org.id, {
      name: `chaos campaign ${i}`,
      retry: { maxAttempts: plan.maxAttempts, delays: shortRetry },
      ...callLimits,
      // Two modes and both machine policies, so every path of the Sim's agent part runs.
      ...(i % 2 === 0
        ? { mode: 'one_way', amd: { enabled: true, onMachine: 'hangup', voicemailMessage: null } }
        : {
            mode: 'two_way',
            message: null,
            instructions: 'Confirm the appointment.',
            amd: { enabled: true, onMachine: 'leave_voicemail', voicemailMessage: 'Please call us back.' },
          }),
    });
    for (const [j, limit] of o.batches.entries()) {
      const batch = await insertBatch(db, org.id, campaign.id, { name: `chaos batch ${i}.${j}`, maxConcurrency: limit });
      world.batchLimits.set(batch.id, limit);
      world.batchOrg.set(batch.id, org.id);
      batchIds.push(batch.id);
    }
    await db
      .insertInto('webhook_endpoints')
      .values({
        org_id: org.id,
        url: plan.webhookUrl,
        events: ['call.completed'],
        secret_enc: encryptSecret(plan.webhookSecret, plan.encryptionKey),
        disabled_reason: null,
        deleted_at: null,
      })
      .execute();
  }
  await db.updateTable('trunks').set({ cps: plan.trunkCps }).execute();
  // Uneven shares (one large batch must not starve the others), each around the batch's share of
  // the slots: a big list behind a small limit would only add a long tail of one slow batch.
  const orgSlots = new Map<string, number>();
  for (const id of batchIds) {
    const org = world.batchOrg.get(id) ?? '';
    orgSlots.set(org, (orgSlots.get(org) ?? 0) + (world.batchLimits.get(id) ?? 0));
  }
  const weights = batchIds.map((id) => {
    const org = world.batchOrg.get(id) ?? '';
    const share = Math.min(1, (world.orgLimits.get(org) ?? 0) / (orgSlots.get(org) ?? 1));
    return (world.batchLimits.get(id) ?? 0) * share * (0.5 + random());
  });
  const total = weights.reduce((a, b) => a + b, 0);
  let next = 0;
  for (const [k, batchId] of batchIds.entries()) {
    const n = k === batchIds.length - 1 ? plan.contacts - next : Math.floor((plan.contacts * (weights[k] ?? 0)) / total);
    await insertContacts(db, world.batchOrg.get(batchId) ?? '', batchId, next, n);
    next += n;
  }
  world.contacts = next;
  return world;
}

async function insertContacts(db: Db, orgId: string, batchId: string, first: number, n: number): Promise<void> {
  const now = new Date();
  for (let i = 0; i < n; i += 2000) {
    const rows = Array.from({ length: Math.min(2000, n - i) }, (_, k) => {
      const seq = first + i + k;
      return {
        org_id: orgId,
        batch_id: batchId,
        phone: `+1202${String(seq).padStart(7, '0')}`,
        timezones: ['UTC'],
        tz_source: 'explicit' as const,
        name: `Contact ${seq}`,
        variables: JSON.stringify({ first_name: `C${seq}` }),
        line: i + k + 2,
        next_attempt_at: now,
      };
    });
    await db.insertInto('contacts').values(rows).execute();
  }
}
