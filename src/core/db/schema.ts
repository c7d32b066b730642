// Kysely table types for db/migrations. Timestamps are read as Date; bigint columns as strings
// (pg returns int8 as text), jsonb as parsed JSON.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ApiRole } from '../api-roles.js';
import type { AttemptOutcome, AttemptStatus, BatchStatus, ContactStatus } from '../domain.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;
type BigId = ColumnType<string, never, never>;

export interface OrgsTable {
  id: Generated<string>;
  name: string;
  max_concurrency: number;
  retention_days: Generated<number>;
  created_at: GeneratedTimestamp;
}

/** An org's API keys (migration 0003): only the sha256 is stored; a revoked key stays as a row. */
export interface ApiKeysTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  role: ApiRole;
  hash: string;
  prefix: string;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface CampaignsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  mode: 'one_way' | 'two_way';
  config: Json<Record<string, unknown>>;
  created_at: GeneratedTimestamp;
}

export interface BatchesTable {
  id: Generated<string>;
  org_id: string;
  campaign_id: string;
  name: string;
  status: ColumnType<BatchStatus, BatchStatus | undefined, BatchStatus>;
  max_concurrency: number;
  start_at: Timestamp | null;
  status_reason: string | null;
  created_at: GeneratedTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export type TzSource = 'explicit' | 'number' | 'fallback' | 'country_fallback';

export interface ContactsTable {
  /** A uuid v7, time + random bits (migration 0002): a sequence shared by all orgs revealed each org's volume. */
  id: Generated<string>;
  /** The bigint id of a contact created before migration 0002, kept for mapping only; never exposed. */
  legacy_id: ColumnType<string | null, never, never>;
  org_id: string;
  batch_id: string;
  phone: string;
  timezones: string[];
  tz_source: TzSource;
  name: string | null;
  variables: Json<Record<string, string>>;
  line: number | null;
  status: ColumnType<ContactStatus, ContactStatus | undefined, ContactStatus>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  last_outcome: AttemptOutcome | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AttemptsTable {
  id: Generated<string>;
  org_id: string;
  campaign_id: string;
  batch_id: string;
  contact_id: string;
  attempt: number;
  status: ColumnType<AttemptStatus, AttemptStatus | undefined, AttemptStatus>;
  outcome: AttemptOutcome | null;
  amd: Json | null;
  sip_status: number | null;
  sip_reason: string | null;
  room_name: string | null;
  queued_at: GeneratedTimestamp;
  started_at: Timestamp | null;
  answered_at: Timestamp | null;
  ended_at: Timestamp | null;
  duration_ms: number | null;
  recording_url: string | null;
  transferred_to: string | null;
  transcript: Json | null;
  outcome_data: Json | null;
  updated_at: GeneratedTimestamp;
}

export interface CallEventsTable {
  seq: BigId;
  id: string;
  org_id: string;
  campaign_id: string | null;
  batch_id: string | null;
  contact_id: string | null;
  attempt_id: string | null;
  type: string;
  occurred_at: Timestamp;
  recorded_at: GeneratedTimestamp;
  data: Json<Record<string, unknown>>;
}

export interface DncTable {
  org_id: string;
  phone: string;
  reason: string | null;
  created_at: GeneratedTimestamp;
}

export interface WebhookEndpointsTable {
  id: Generated<string>;
  org_id: string;
  url: string;
  events: string[];
  secret_enc: string;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  created_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'dead';

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  org_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: Json<Record<string, unknown>>;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: GeneratedTimestamp;
  last_status_code: number | null;
  last_error: string | null;
  created_at: GeneratedTimestamp;
  delivered_at: Timestamp | null;
}

export interface TrunksTable {
  id: string;
  cps: Generated<number>;
  sip_trunk_id: string | null;
  created_at: GeneratedTimestamp;
}

/** Events written before they are queued; the sinks delete each row as they record its event. */
export interface EventOutboxTable {
  id: string;
  event: Json<Record<string, unknown>>;
  created_at: GeneratedTimestamp;
}

export interface Database {
  orgs: OrgsTable;
  api_keys: ApiKeysTable;
  campaigns: CampaignsTable;
  batches: BatchesTable;
  contacts: ContactsTable;
  attempts: AttemptsTable;
  call_events: CallEventsTable;
  dnc: DncTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  trunks: TrunksTable;
  event_outbox: EventOutboxTable;
}

export type Org = Selectable<OrgsTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type Batch = Selectable<BatchesTable>;
export type Contact = Selectable<ContactsTable>;
export type NewContact = Insertable<ContactsTable>;
export type Attempt = Selectable<AttemptsTable>;
export type AttemptUpdate = Updateable<AttemptsTable>;
export type CallEventRow = Selectable<CallEventsTable>;
export type WebhookEndpoint = Selectable<WebhookEndpointsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
