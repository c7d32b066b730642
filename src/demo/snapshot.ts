// What the demo shows and what `--until-done` decides on: per-batch progress, active calls against
// limits, outcomes so far and webhook deliveries, read from Postgres (the source of truth).
import { sql } from 'kysely';
import type { Db } from '../core/db/client.js';

export interface BatchSnapshot {
  id: string;
  name: string;
  status: string;
  limit: number;
  active: number;
  contacts: number;
  finished: number;
  /** pending with at least one attempt made: waiting for a retry */
  waitingRetry: number;
  /** pending, never called, not due yet: waiting for the contact's calling window */
  waitingWindow: number;
  /** pending and due now, or in progress: work still to do */
  due: number;
  suppressed: number;
  cancelled: number;
  outcomes: Record<string, number>;
}

export interface Snapshot {
  at: string;
  orgLimit: number;
  orgActive: number;
  batches: BatchSnapshot[];
  webhooks: { succeeded: number; pending: number; failed: number; dead: number };
  /** Every contact is finished, suppressed, cancelled, or waiting (for a retry or for its window). */
  done: boolean;
}

export async function takeSnapshot(db: Db, orgId: string, batchIds: readonly string[]): Promise<Snapshot> {
  const org = await db.selectFrom('orgs').select('max_concurrency').where('id', '=', orgId).executeTakeFirstOrThrow();
  const batches = await db
    .selectFrom('batches')
    .select(['id', 'name', 'status', 'max_concurrency'])
    .where('id', 'in', batchIds)
    .execute();
  const contactRows = await sql<{ batch_id: string; status: string; retry: boolean; due: boolean; n: string }>`
    select batch_id, status, attempts > 0 as retry,
           (status = 'in_progress' or (status = 'pending' and next_attempt_at <= now())) as due,
           count(*) as n
    from contacts where batch_id in (${sql.join(batchIds)})
    group by 1, 2, 3, 4`.execute(db);
  const attemptRows = await sql<{ batch_id: string; outcome: string | null; open: boolean; n: string }>`
    select batch_id, outcome, status <> 'finished' as open, count(*) as n
    from attempts where batch_id in (${sql.join(batchIds)}) group by 1, 2, 3`.execute(db);
  const hooks = await sql<{ status: string; n: string }>`
    select status, count(*) as n from webhook_deliveries where org_id = ${orgId} group by 1`.execute(db);

  const out: BatchSnapshot[] = batches.map((b) => {
    const s: BatchSnapshot = {
      id: b.id,
      name: b.name,
      status: b.status,
      limit: b.max_concurrency,
      active: 0,
      contacts: 0,
      finished: 0,
      waitingRetry: 0,
      waitingWindow: 0,
      due: 0,
      suppressed: 0,
      cancelled: 0,
      outcomes: {},
    };
    for (const r of contactRows.rows.filter((r) => r.batch_id === b.id)) {
      const n = Number(r.n);
      s.contacts += n;
      if (r.due) s.due += n;
      else if (r.status === 'finished') s.finished += n;
      else if (r.status === 'suppressed') s.suppressed += n;
      else if (r.status === 'cancelled') s.cancelled += n;
      else if (r.status === 'pending') {
        if (r.retry) s.waitingRetry += n;
        else s.waitingWindow += n;
      }
    }
    for (const r of attemptRows.rows.filter((r) => r.batch_id === b.id)) {
      if (r.open) s.active += Number(r.n);
      else if (r.outcome) s.outcomes[r.outcome] = (s.outcomes[r.outcome] ?? 0) + Number(r.n);
    }
    return s;
  });
  const webhooks = { succeeded: 0, pending: 0, failed: 0, dead: 0 };
  for (const r of hooks.rows) if (r.status in webhooks) webhooks[r.status as keyof typeof webhooks] = Number(r.n);
  return {
    at: new Date().toISOString(),
    orgLimit: org.max_concurrency,
    orgActive: out.reduce((a, b) => a + b.active, 0),
    batches: out,
    webhooks,
    done: out.every((b) => b.due === 0),
  };
}

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Finished attempts: the outcomes are counted per attempt, not per contact. */
export const attemptCount = (outcomes: Record<string, number>): number =>
  Object.values(outcomes).reduce((a, n) => a + n, 0);

/** Plain-text rendering for a terminal (redrawn in place) or a log (one block per refresh). */
export function renderSnapshot(s: Snapshot, elapsedMs: number): string {
  const lines = [
    `outdial demo  ${(elapsedMs / 1000).toFixed(1)}s   org active ${s.orgActive}/${s.orgLimit}   ` +
      `webhooks delivered ${s.webhooks.succeeded} (pending ${s.webhooks.pending + s.webhooks.failed}, dead ${s.webhooks.dead})`,
  ];
  for (const b of s.batches) {
    const settled = b.finished + b.suppressed + b.cancelled + b.waitingRetry + b.waitingWindow;
    const outcomes = Object.entries(b.outcomes)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    // Contacts and attempts are counted apart (a contact retried has several attempts): each set adds up.
    lines.push(
      `  ${b.name.padEnd(24).slice(0, 24)} ${b.status.padEnd(9)} ${bar(settled, b.contacts)} ${settled}/${b.contacts}` +
        `  active ${b.active}/${b.limit}`,
      `    contacts: finished ${b.finished}  retry ${b.waitingRetry}  window ${b.waitingWindow}  suppressed ${b.suppressed}` +
        (b.cancelled ? `  cancelled ${b.cancelled}` : '') +
        (outcomes ? `   attempts ${attemptCount(b.outcomes)} outcomes: ${outcomes}` : ''),
    );
  }
  return lines.join('\n');
}
