-- The event outbox. Every role that has the database writes each call event here before it
-- queues the event on `call-events` (in the transaction of the change it reports, where there
-- is one); the sinks delete the row in the transaction that records the event. A row that stays
-- is an event whose job Redis lost (a flush, a failover): the schedulers' reconciler queues it
-- again, and the sinks' dedupe by event id makes a second copy harmless.
create table event_outbox (
  id uuid primary key,
  event jsonb not null,
  created_at timestamptz not null default now()
);
create index event_outbox_created_idx on event_outbox (created_at);
