-- API keys get their own table: an org holds several keys, each with a role (admin, manager,
-- viewer; the policy is src/core/api-roles.ts), a name, its last use and its revocation. Only the
-- sha256 of a key is stored, as before; the prefix (first 8 characters) names a key in support
-- conversations without revealing it.
--
-- Every org's existing key moves here as an admin key named "default", with its hash unchanged,
-- so keys already handed out keep working; then the columns on orgs go. A revoked key stays as a
-- row (revoked_at set) so the list and audits can still name it; it authenticates nothing.

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  name text not null,
  role text not null check (role in ('admin', 'manager', 'viewer')),
  hash text not null unique,
  prefix text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_org_idx on api_keys (org_id, created_at, id);

insert into api_keys (org_id, name, role, hash, prefix, created_at)
  select id, 'default', 'admin', api_key_hash, api_key_prefix, created_at from orgs;

alter table orgs drop column api_key_hash, drop column api_key_prefix;
