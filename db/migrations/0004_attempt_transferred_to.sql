-- Where a cold transfer handed the callee (the campaign's transfer target), per attempt: the
-- attempts listing carries it as `transferredTo` (DESIGN.md, contract additions). Attempts
-- finished before this migration keep null; their call.completed events still hold it.
alter table attempts add column transferred_to text;
