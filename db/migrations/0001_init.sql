-- outdial schema. Postgres is the source of truth; Redis holds only work in flight.
-- Migration files are applied in name order by src/core/db/migrate.ts (Kysely migrator).
-- Number ranges by owner, so parallel work never collides: 00xx core, 01xx producers,
-- 02xx schedulers, 03xx dialer, 04xx agent, 05xx sinks.

create table orgs (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  max_concurrency integer not null check (max_concurrency > 0),
  -- sha256 of the API key; the key itself is shown once at creation and never stored.
  api_key_hash text not null unique,
  api_key_prefix text not null,
  retention_days integer not null default 90 check (retention_days > 0),
  created_at timestamptz not null default now()
);

create table campaigns (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  name text not null,
  mode text not null check (mode in ('one_way', 'two_way')),
  -- The whole validated campaign body (src/core/campaign.ts), defaults filled in.
  config jsonb not null,
  created_at timestamptz not null default now()
);
create index campaigns_org_idx on campaigns (org_id, created_at desc);

create table batches (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  campaign_id uuid not null references campaigns(id),
  name text not null,
  status text not null default 'draft'
    check (status in ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
  max_concurrency integer not null check (max_concurrency > 0),
  start_at timestamptz,
  status_reason text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index batches_org_idx on batches (org_id, created_at desc);
create index batches_runnable_idx on batches (status) where status in ('scheduled', 'running');

create table contacts (
  id bigint generated always as identity primary key,
  org_id uuid not null references orgs(id),
  batch_id uuid not null references batches(id),
  phone text not null,                       -- E.164
  timezones text[] not null,                 -- IANA zones; a call needs the window open in all
  tz_source text not null check (tz_source in ('explicit', 'number', 'fallback', 'country_fallback')),
  name text,
  variables jsonb not null default '{}'::jsonb,
  line integer,                              -- source line in the uploaded file
  status text not null default 'pending'
    check (status in ('pending', 'in_progress', 'finished', 'cancelled', 'suppressed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz,               -- always an instant inside the contact's window
  last_outcome text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (batch_id, phone)
);
-- Admission scans due contacts of one batch in time order.
create index contacts_due_idx on contacts (batch_id, next_attempt_at) where status = 'pending';
create index contacts_batch_status_idx on contacts (batch_id, status);

create table attempts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  campaign_id uuid not null references campaigns(id),
  batch_id uuid not null references batches(id),
  contact_id bigint not null references contacts(id),
  attempt integer not null check (attempt > 0),          -- 1 = first call
  status text not null default 'queued'
    check (status in ('queued', 'dialing', 'in_progress', 'finished')),
  outcome text,
  amd jsonb,
  sip_status integer,
  sip_reason text,
  room_name text,
  queued_at timestamptz not null default now(),
  started_at timestamptz,                    -- dialing began
  answered_at timestamptz,
  ended_at timestamptz,
  duration_ms integer,
  recording_url text,
  transcript jsonb,
  outcome_data jsonb,
  updated_at timestamptz not null default now(),
  unique (contact_id, attempt)
);
create index attempts_batch_idx on attempts (batch_id, queued_at, id);
create index attempts_open_idx on attempts (status, updated_at) where status <> 'finished';

-- Append-only audit log. id is the event id (the webhook idempotency key).
create table call_events (
  seq bigint generated always as identity,
  id uuid primary key,
  org_id uuid not null references orgs(id),
  campaign_id uuid,
  batch_id uuid,
  contact_id bigint,
  attempt_id uuid,
  type text not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  data jsonb not null default '{}'::jsonb
);
create index call_events_attempt_idx on call_events (attempt_id, seq);
create index call_events_batch_idx on call_events (batch_id, seq);

create table dnc (
  org_id uuid not null references orgs(id),
  phone text not null,
  reason text,
  created_at timestamptz not null default now(),
  primary key (org_id, phone)
);

create table webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  url text not null,
  events text[] not null,                    -- event types or '*'
  secret_enc text not null,                  -- whsec_ secret, AES-256-GCM encrypted at rest
  enabled boolean not null default true,
  disabled_reason text,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index webhook_endpoints_org_idx on webhook_endpoints (org_id) where deleted_at is null;

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  endpoint_id uuid not null references webhook_endpoints(id),
  event_id uuid not null,
  event_type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'dead')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status_code integer,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (endpoint_id, event_id)
);
create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status in ('pending', 'failed');

-- SIP trunks and their calls-per-second limit (admission's token bucket reads it).
create table trunks (
  id text primary key,
  cps integer not null default 10 check (cps > 0),
  sip_trunk_id text,
  created_at timestamptz not null default now()
);
insert into trunks (id, cps) values ('default', 10);
