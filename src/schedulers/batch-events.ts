// A batch status change the scheduler makes commits with its announcement: the event goes to the
// outbox in the change's transaction and is queued after the commit, so neither a crash between
// the two nor a Redis loss before the sinks record it can drop the event (the reconciler resends it).
import type { Db } from '../core/db/client.js';
import { queueCallEvents, writeOutbox } from '../core/events.js';
import type { CallEventJob } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import type { ChangedBatch } from './sql/batch-status.js';

/** Runs `change` and announces each batch it changed with `announce(batch)`; returns how many. */
export async function changeBatches(
  rt: Runtime,
  change: (db: Db) => Promise<ChangedBatch[]>,
  announce: (b: ChangedBatch) => CallEventJob,
): Promise<number> {
  const events = await rt.db.transaction().execute(async (trx) => {
    const evs = (await change(trx)).map(announce);
    await writeOutbox(trx, evs);
    return evs;
  });
  await queueCallEvents(rt.queues.callEvents, events);
  return events.length;
}
