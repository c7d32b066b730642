-- Contact ids become uuids. They were one bigint sequence shared by every org, so the gap
-- between two of an org's own contact ids (in the attempts listing, in every webhook) told it
-- how many contacts all other orgs had imported in between.
--
-- Version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits; no counter, so
-- an id tells only when its contact was created (which its batch's createdAt already says). Not
-- version 4: contacts grow without bound and take million-row imports, and a fully random key
-- sends every insert to a random page of the primary key index, which gets slower as it outgrows
-- memory; time-ordered keys are appended, like the sequence was (docs/benchmarks.md).
--
-- Converted in place, in the migrator's single transaction: every contact gets a new id, every
-- reference (attempts.contact_id, call_events.contact_id, and the ids stored inside JSON: the
-- data of `contact.finished` DNC events, webhook payloads, outbox events) is rewritten to it by a
-- join on the old number, then the old column is dropped from the referencing tables. The old
-- number stays in contacts.legacy_id (null for contacts created from now on, never exposed), so
-- an operator can map ids a downstream system already stored: select legacy_id, id from contacts.
-- The statements take exclusive locks and rewrite contacts, attempts and call_events.

create function uuid_v7() returns uuid language sql volatile parallel safe as $$
  -- A random (v4) uuid with its first 48 bits replaced by the time and its version nibble 4 → 7.
  select encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
              from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;

alter table contacts add column uid uuid not null default uuid_v7();

-- The old number as JSON text ("123"), or null for anything else; `case` so nothing else is cast.
create function pg_temp.legacy_contact_id(v jsonb) returns bigint language sql immutable as $$
  select case when jsonb_typeof(v) = 'string' and v #>> '{}' ~ '^[0-9]{1,18}$' then (v #>> '{}')::bigint end
$$;

alter table attempts add column contact_uid uuid;
update attempts a set contact_uid = c.uid from contacts c where c.id = a.contact_id;

alter table call_events add column contact_uid uuid;
update call_events e set contact_uid = c.uid from contacts c where c.id = e.contact_id;

do $$
begin
  if exists (select 1 from call_events where contact_id is not null and contact_uid is null) then
    raise exception 'call_events name a contact id that no contact has; not converting';
  end if;
end $$;

update call_events e
   set data = jsonb_set(e.data, '{contactId}', to_jsonb(c.uid::text))
  from contacts c
 where e.data ? 'contactId' and c.id = pg_temp.legacy_contact_id(e.data -> 'contactId');

update webhook_deliveries w
   set payload = jsonb_set(w.payload, '{contactId}', to_jsonb(c.uid::text))
  from contacts c
 where c.id = pg_temp.legacy_contact_id(w.payload -> 'contactId');

update webhook_deliveries w
   set payload = jsonb_set(w.payload, '{data,contactId}', to_jsonb(c.uid::text))
  from contacts c
 where c.id = pg_temp.legacy_contact_id(w.payload #> '{data,contactId}');

-- On a new database this runs before 0502 creates the outbox (numbers are ranged by owner).
do $$
begin
  if to_regclass('event_outbox') is not null then
    update event_outbox o
       set event = jsonb_set(o.event, '{data,contactId}', to_jsonb(c.uid::text))
      from contacts c
     where c.id = pg_temp.legacy_contact_id(o.event #> '{data,contactId}');
  end if;
end $$;

-- Dropping the old columns drops the foreign key and the (contact_id, attempt) unique constraint.
alter table attempts drop column contact_id;
alter table attempts rename column contact_uid to contact_id;
alter table attempts alter column contact_id set not null;

alter table call_events drop column contact_id;
alter table call_events rename column contact_uid to contact_id;

alter table contacts drop constraint contacts_pkey;
alter table contacts alter column id drop identity;
alter table contacts alter column id drop not null;
alter table contacts rename column id to legacy_id;
alter table contacts rename column uid to id;
alter table contacts add constraint contacts_pkey primary key (id);

alter table attempts add constraint attempts_contact_id_fkey foreign key (contact_id) references contacts (id);
alter table attempts add constraint attempts_contact_id_attempt_key unique (contact_id, attempt);

drop function pg_temp.legacy_contact_id(jsonb);
