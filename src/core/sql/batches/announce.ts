// A batch status change commits with its announcement: the events go to the outbox in the change's
// transaction and are queued after the commit, so neither a crash between the two nor a Redis loss
// before the sinks record them can drop one (the reconciler resends the outbox).
import type { Queue } from 'bullmq';
import type { Db } from '../../db/client.js';
import { queueCallEvents, writeOutbox } from '../../events.js';
import type { CallEventJob } from '../../queues.js';

/** Runs `change` in a transaction with its events' outbox rows, then queues the events; returns them. */
export async function commitAnnounced(
  db: Db,
  queue: Queue<CallEventJob>,
  change: (trx: Db) => Promise<CallEventJob[]>,
): Promise<CallEventJob[]> {
  const events = await db.transaction().execute(async (trx) => {
    const evs = await change(trx);
    await writeOutbox(trx, evs);
    return evs;
  });
  await queueCallEvents(queue, events);
  return events;
}
