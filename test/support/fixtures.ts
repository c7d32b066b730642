// Direct inserts of orgs, campaigns, batches and contacts for tests of roles that start after
// intake (schedulers, dialer, sinks). The API has its own tests; these skip it on purpose.
import { campaignInputSchema, weekdays, type CampaignConfig, type CampaignInput } from '../../src/core/campaign.js';
import type { Db } from '../../src/core/db/client.js';
import type { BatchStatus } from '../../src/core/domain.js';
import { createApiKey } from '../../src/producers/repos/api-keys.js';

/** An org with one admin API key, as POST /v1/orgs makes it. */
export async function insertOrg(db: Db, opts: { name?: string; maxConcurrency?: number } = {}) {
  const org = await db
    .insertInto('orgs')
    .values({ name: opts.name ?? 'Test org', max_concurrency: opts.maxConcurrency ?? 10 })
    .returningAll()
    .executeTakeFirstOrThrow();
  const { key: apiKey } = await createApiKey(db, org.id, { name: 'default', role: 'admin' });
  return { org, apiKey };
}

export const alwaysOpenSchedule: NonNullable<CampaignInput['schedule']> = {
  timezoneFallback: 'UTC',
  weekly: Object.fromEntries(weekdays.map((d) => [d, [['00:00', '24:00']]])),
  quietHours: null,
  allowQuietHours: true,
  blackoutDates: [],
};

export async function insertCampaign(db: Db, orgId: string, input: Partial<CampaignInput> = {}) {
  const config: CampaignConfig = campaignInputSchema.parse({
    name: 'Test campaign',
    mode: 'one_way',
    message: 'Hi {{first_name}}, your prescription is ready.',
    schedule: alwaysOpenSchedule,
    ...input,
  });
  const row = await db
    .insertInto('campaigns')
    .values({ org_id: orgId, name: config.name, mode: config.mode, config: JSON.stringify(config) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { campaign: row, config };
}

export async function insertBatch(
  db: Db,
  orgId: string,
  campaignId: string,
  opts: { maxConcurrency?: number; status?: BatchStatus; name?: string } = {},
) {
  return db
    .insertInto('batches')
    .values({
      org_id: orgId,
      campaign_id: campaignId,
      name: opts.name ?? 'Test batch',
      max_concurrency: opts.maxConcurrency ?? 5,
      status: opts.status ?? 'running',
      start_at: null,
      status_reason: null,
      started_at: opts.status === 'running' || opts.status === undefined ? new Date() : null,
      finished_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** n pending contacts due now, phones +1202555xxxx, in the given zones. */
export async function insertContacts(
  db: Db,
  orgId: string,
  batchId: string,
  n: number,
  opts: { timezones?: string[]; dueAt?: Date; firstNumber?: number } = {},
) {
  const first = opts.firstNumber ?? 1000;
  const rows = Array.from({ length: n }, (_, i) => ({
    org_id: orgId,
    batch_id: batchId,
    phone: `+1202555${String(first + i).padStart(4, '0')}`,
    timezones: opts.timezones ?? ['UTC'],
    tz_source: 'explicit' as const,
    name: `Contact ${i}`,
    variables: JSON.stringify({ first_name: `Contact${i}` }),
    line: i + 2,
    next_attempt_at: opts.dueAt ?? new Date(),
  }));
  const out = [];
  for (let i = 0; i < rows.length; i += 5000) {
    out.push(...(await db.insertInto('contacts').values(rows.slice(i, i + 5000)).returningAll().execute()));
  }
  return out;
}
