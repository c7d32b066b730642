-- Sinks: the circuit breaker counts a batch's attempts that ended in the last two minutes on
-- every failed finish; this keeps that a short index range scan on big batches.
create index attempts_batch_ended_idx on attempts (batch_id, ended_at) where status = 'finished';
