// The verdict of a chaos run, from three independent witnesses: Postgres (contacts, attempts,
// call_events), the Sim's placed-call log (what really went out on the "phone network") and the
// webhook receiver (what a downstream system really got, verified and deduped).
import { sql } from 'kysely';
import type { Db } from '../../src/core/db/client.js';
import type { PlacedCallLine } from '../../src/dialer/sim/placed-call-log.js';
import { limitViolations, type CallInterval, type GroupPeak } from './limit-sweep.js';
import type { ProcessEvent } from './processes.js';

export interface Harm {
  doubleDials: number;
  lostContacts: number;
  limitViolations: number;
  webhooksMissing: number;
}

export interface Verdict extends Harm {
  details: {
    placedCalls: number;
    attemptsPlacedTwice: string[];
    /** Two different attempts of one contact live at the same instant. */
    contactOverlaps: number;
    callsWithoutEnd: number;
    /** Placed calls whose attempt is not in Postgres (should be none). */
    unknownAttempts: number;
    lost: { status: string; attempts: number; n: number }[];
    openAttempts: number;
    overLimit: (GroupPeak & { kind: 'org' | 'batch' })[];
    completedEvents: number;
    completedNotReceived: number;
    /** The Sim queued a call.completed that never reached call_events nor the receiver. */
    completedLostBeforeStore: number;
    examples: Record<string, string[]>;
    /** Event ids of stored call.completed events the receiver never verified. */
    notReceivedIds: string[];
    /** Attempts for which the Sim queued a call.completed. */
    simCompletedIds: string[];
  };
}

export interface CheckInput {
  db: Db;
  calls: readonly PlacedCallLine[];
  processEvents: readonly ProcessEvent[];
  received: ReadonlyMap<string, { type: string; attemptId: string | null }>;
  orgLimits: ReadonlyMap<string, number>;
  batchLimits: ReadonlyMap<string, number>;
  maxAttempts: number;
  checkedAt: number;
}

type Start = Extract<PlacedCallLine, { k: 'start' }>;
interface Placement extends Start {
  end: number;
  ended: boolean;
}

/** Pairs each INVITE with its end in the same process; an unended call ends when its process died. */
export function placements(calls: readonly PlacedCallLine[], processEvents: readonly ProcessEvent[], checkedAt: number): Placement[] {
  const ends = new Map<string, number[]>();
  for (const c of calls) {
    if (c.k !== 'end') continue;
    const key = `${c.attemptId}|${c.pid}`;
    ends.set(key, [...(ends.get(key) ?? []), c.t]);
  }
  const deaths = new Map<number, number>();
  for (const e of processEvents) if (!deaths.has(e.pid)) deaths.set(e.pid, e.at);
  const starts = calls.filter((c): c is Start => c.k === 'start').sort((a, b) => a.t - b.t);
  return starts.map((s) => {
    const list = ends.get(`${s.attemptId}|${s.pid}`) ?? [];
    const i = list.findIndex((t) => t >= s.t);
    if (i >= 0) {
      const end = list[i] ?? s.t;
      list.splice(i, 1);
      return { ...s, end, ended: true };
    }
    return { ...s, end: deaths.get(s.pid) ?? checkedAt, ended: false };
  });
}

function overlapsWithinGroups(ps: readonly Placement[], key: (p: Placement) => string): number {
  const groups = new Map<string, Placement[]>();
  for (const p of ps) groups.set(key(p), [...(groups.get(key(p)) ?? []), p]);
  let n = 0;
  for (const list of groups.values()) {
    list.sort((a, b) => a.t - b.t);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i];
      if (prev && cur && cur.attemptId !== prev.attemptId && cur.t < prev.end) n += 1;
    }
  }
  return n;
}

export async function checkRun(input: CheckInput): Promise<Verdict> {
  const { db } = input;
  const ps = placements(input.calls, input.processEvents, input.checkedAt);
  const perAttempt = new Map<string, number>();
  for (const p of ps) perAttempt.set(p.attemptId, (perAttempt.get(p.attemptId) ?? 0) + 1);
  const attemptsPlacedTwice = [...perAttempt].filter(([, n]) => n > 1).map(([id]) => id);

  const intervals = (kind: 'org' | 'batch'): CallInterval[] =>
    ps.map((p) => ({ group: kind === 'org' ? p.orgId : p.batchId, start: p.t, end: p.end }));
  const orgs = limitViolations(intervals('org'), (g) => input.orgLimits.get(g));
  const batches = limitViolations(intervals('batch'), (g) => input.batchLimits.get(g));

  const good = sql<boolean>`(c.status = 'finished' or (c.status = 'pending' and c.next_attempt_at is not null
      and (select count(*) from attempts a where a.contact_id = c.id) between 1 and ${input.maxAttempts - 1}))
    and not exists (select 1 from attempts a where a.contact_id = c.id and a.status <> 'finished')`;
  const lost = await sql<{ status: string; attempts: number; n: number }>`
    select c.status, (select count(*) from attempts a where a.contact_id = c.id)::int as attempts, count(*)::int as n
    from contacts c where not (${good}) group by 1, 2 order by 3 desc`.execute(db);
  const lostIds = await sql<{ id: string }>`select c.id::text as id from contacts c where not (${good}) limit 5`.execute(db);
  const openAttempts = await db
    .selectFrom('attempts')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('status', '<>', 'finished')
    .executeTakeFirstOrThrow();

  const known = new Set(
    (await db.selectFrom('attempts').select('id').execute()).map((r) => r.id),
  );
  const unknownAttempts = [...perAttempt.keys()].filter((id) => !known.has(id)).length;

  const completed = await db.selectFrom('call_events').select(['id', 'attempt_id']).where('type', '=', 'call.completed').execute();
  const notReceived = completed.filter((e) => !input.received.has(e.id));
  const storedFor = new Set(completed.map((e) => e.attempt_id));
  const receivedFor = new Set([...input.received.values()].filter((e) => e.type === 'call.completed').map((e) => e.attemptId));
  const simCompleted = new Set(
    input.calls.filter((c) => c.k === 'emitted' && c.type === 'call.completed').map((c) => c.attemptId),
  );
  const lostBeforeStore = [...simCompleted].filter((a) => !storedFor.has(a) && !receivedFor.has(a));

  const lostContacts = lost.rows.reduce((sum, r) => sum + r.n, 0);
  return {
    doubleDials: attemptsPlacedTwice.length,
    lostContacts,
    limitViolations: orgs.violations + batches.violations,
    webhooksMissing: notReceived.length + lostBeforeStore.length,
    details: {
      placedCalls: ps.length,
      attemptsPlacedTwice: attemptsPlacedTwice.slice(0, 20),
      contactOverlaps: overlapsWithinGroups(ps, (p) => p.contactId),
      callsWithoutEnd: ps.filter((p) => !p.ended).length,
      unknownAttempts,
      lost: lost.rows,
      openAttempts: openAttempts.n,
      overLimit: [
        ...orgs.over.map((o) => ({ ...o, kind: 'org' as const })),
        ...batches.over.map((o) => ({ ...o, kind: 'batch' as const })),
      ],
      completedEvents: completed.length,
      completedNotReceived: notReceived.length,
      completedLostBeforeStore: lostBeforeStore.length,
      notReceivedIds: notReceived.map((e) => e.id),
      simCompletedIds: [...simCompleted],
      examples: {
        lostContacts: lostIds.rows.map((r) => r.id),
        completedNotReceived: notReceived.slice(0, 5).map((e) => e.id),
        completedLostBeforeStore: lostBeforeStore.slice(0, 5),
      },
    },
  };
}
