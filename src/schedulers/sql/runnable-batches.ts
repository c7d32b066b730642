// The batches admission may serve this cycle, with their limits read fresh from Postgres (they may
// change while a batch runs) and a capped count of due contacts.
import { sql } from 'kysely';
import { callLimitSql } from '../../core/call-deadline.js';
import type { Db } from '../../core/db/client.js';

export interface RunnableBatch {
  id: string;
  orgId: string;
  campaignId: string;
  batchLimit: number;
  orgLimit: number;
  trunkId: string;
  cps: number;
  /** campaigns.config->'schedule' as JSON text: the cache key for its parsed form. */
  scheduleJson: string;
  ringTimeoutSeconds: number;
  maxCallSeconds: number;
  maxAttempts: number;
  /** Due pending contacts, counted up to the batch limit. */
  due: number;
}

interface Row {
  id: string;
  org_id: string;
  campaign_id: string;
  batch_limit: number;
  org_limit: number;
  trunk_id: string;
  cps: number;
  schedule_json: string | null;
  ring: number;
  max_call: number;
  max_attempts: number | null;
  due: number;
}

export async function runnableBatches(db: Db): Promise<RunnableBatch[]> {
  const r = await sql<Row>`
    select b.id, b.org_id, b.campaign_id, b.max_concurrency as batch_limit, o.max_concurrency as org_limit,
           coalesce(c.config->>'trunk', 'default') as trunk_id,
           coalesce(t.cps, (select cps from trunks where id = 'default'), 10) as cps,
           (c.config->'schedule')::text as schedule_json,
           ${callLimitSql('c', 'ringTimeoutSeconds')} as ring,
           ${callLimitSql('c', 'maxCallSeconds')} as max_call,
           (c.config->'retry'->>'maxAttempts')::int as max_attempts,
           (select count(*) from (select 1 from contacts x
              where x.batch_id = b.id and x.status = 'pending' and x.next_attempt_at <= now()
              limit b.max_concurrency) d)::int as due
      from batches b
      join orgs o on o.id = b.org_id
      join campaigns c on c.id = b.campaign_id
      left join trunks t on t.id = coalesce(c.config->>'trunk', 'default')
     where b.status = 'running'
     order by b.id`.execute(db);
  return r.rows.map((x) => ({
    id: x.id,
    orgId: x.org_id,
    campaignId: x.campaign_id,
    batchLimit: x.batch_limit,
    orgLimit: x.org_limit,
    trunkId: x.trunk_id,
    cps: x.cps,
    scheduleJson: x.schedule_json ?? '{}',
    ringTimeoutSeconds: x.ring,
    maxCallSeconds: x.max_call,
    maxAttempts: x.max_attempts ?? 3,
    due: x.due,
  }));
}
