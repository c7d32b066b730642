-- Sinks: the daily retention job finds attempts that still hold a transcript or a recording,
-- oldest first; the partial index shrinks as retention does its work.
create index attempts_retention_idx on attempts (ended_at)
  where transcript is not null or recording_url is not null;
