// Campaigns: the validated body is stored whole (defaults filled in) and read back through the
// same schema. Every read is scoped by org, so another org's campaign is simply not found.
import { campaignInputSchema, type CampaignConfig } from '../../core/campaign.js';
import type { Db } from '../../core/db/client.js';
import type { CampaignRow } from '../../core/db/schema.js';
import { keysetPage, textOf, type Cursor } from './keyset.js';

export interface Campaign {
  id: string;
  orgId: string;
  createdAt: Date;
  config: CampaignConfig;
  /** created_at as Postgres text, for the list cursor. */
  cursorAt: string;
}

function fromRow(row: CampaignRow & { cursor_at: string }): Campaign {
  return {
    id: row.id,
    orgId: row.org_id,
    createdAt: row.created_at,
    config: campaignInputSchema.parse(row.config),
    cursorAt: row.cursor_at,
  };
}

export async function createCampaign(db: Db, orgId: string, config: CampaignConfig): Promise<Campaign> {
  const row = await db
    .insertInto('campaigns')
    .values({ org_id: orgId, name: config.name, mode: config.mode, config: JSON.stringify(config) })
    .returningAll()
    .returning(textOf('created_at').as('cursor_at'))
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

export async function findCampaign(db: Db, orgId: string, id: string): Promise<Campaign | undefined> {
  const row = await db
    .selectFrom('campaigns')
    .selectAll()
    .select(textOf('created_at').as('cursor_at'))
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Newest first; fetches limit + 1 rows so the caller can tell whether another page exists. */
export async function listCampaigns(
  db: Db,
  orgId: string,
  limit: number,
  after: Cursor | null,
): Promise<Campaign[]> {
  const q = db
    .selectFrom('campaigns')
    .selectAll()
    .select(textOf('created_at').as('cursor_at'))
    .where('org_id', '=', orgId);
  const rows = await keysetPage(q, { time: 'created_at', id: 'id', order: 'desc', after, limit }).execute();
  return rows.map(fromRow);
}
