// The verdict of a chaos run, from three independent witnesses: Postgres (contacts, attempts,
// call_events), the Sim's placed-call log (what really went out on the "phone network") and the
// webhook receiver (what a downstream system really got, verified and deduped).
import { sql } from 'kysely';
import type { Db } from '../../src/core/db/client.js';
import type { PlacedCallLine } from '../../src/dialer/sim/placed-call-log.js';
import { classifyContacts, type ContactFacts } from './classify.js';
import { limitViolations, type CallInterval, type GroupPeak } from './limit-sweep.js';
import type { ProcessEvent } from './processes.js';

export interface Harm {
  doubleDials: number;
  /** Contacts nothing will move on (classify.ts); not those merely unsettled when the run ended. */
  lostContacts: number;
  limitViolations: number;
  webhooksMissing: number;
}

export interface Verdict extends Harm {
  /** Contacts not settled yet but on their way (never called, a call within its deadline): a slow run, not harm. */
  unsettledContacts: number;
  /** Ids of the lost contacts, and of the unsettled ones (for the report's explanations). */
  lostIds: string[];
  unsettledIds: string[];
  details: {
    placedCalls: number;
    attemptsPlacedTwice: string[];
    /** Two different attempts of one contact live at the same instant. */
    contactOverlaps: number;
    callsWithoutEnd: number;
    /** Placed calls whose attempt is not in Postgres (should be none). */
    unknownAttempts: number;
    lostByReason: { reason: string; n: number }[];
    /** Batches the circuit breaker (or anything else) left paused, with the reason. */
    pausedBatches: { id: string; reason: string | null }[];
    unsettledByReason: { reason: string; n: number }[];
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
  /** When the roles were told to stop: an attempt's open time is measured up to here. */
  rolesStoppedAt: number;
  /** Ring timeout + max call + lease margin of the run's campaigns. */
  stuckDeadlineMs: number;
}

/** Past its stuck deadline the reconciler (every 5 s) and the sinks get this long to close an attempt. */
export const STUCK_GRACE_MS = 60_000;

/** Every contact with its attempts, open times measured up to `stoppedAt`. */
async function contactFacts(db: Db, stoppedAt: number): Promise<ContactFacts[]> {
  const r = await sql<{ id: string; status: string; has_next: boolean; batch_status: string; attempts: { id: string; status: string; outcome: string | null; since: number }[] }>`
    select c.id::text as id, c.status, c.next_attempt_at is not null as has_next, b.status as batch_status,
           coalesce(json_agg(json_build_object('id', a.id, 'status', a.status, 'outcome', a.outcome,
             'since', extract(epoch from coalesce(a.started_at, a.queued_at)) * 1000) order by a.attempt)
             filter (where a.id is not null), '[]') as attempts
      from contacts c join batches b on b.id = c.batch_id left join attempts a on a.contact_id = c.id
     group by c.id, b.status`.execute(db);
  return r.rows.map((c) => ({
    id: c.id,
    status: c.status,
    hasNextAttempt: c.has_next,
    batchStatus: c.batch_status,
    attempts: c.attempts.map((a) => ({
      id: a.id,
      status: a.status,
      outcome: a.outcome,
      openForMs: a.status === 'finished' ? null : stoppedAt - Number(a.since),
    })),
  }));
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

  const contacts = classifyContacts(await contactFacts(db, input.rolesStoppedAt), {
    maxAttempts: input.maxAttempts,
    stuckDeadlineMs: input.stuckDeadlineMs,
    graceMs: STUCK_GRACE_MS,
  });
  const paused = await db.selectFrom('batches').select(['id', 'status_reason']).where('status', '=', 'paused').execute();
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

  return {
    doubleDials: attemptsPlacedTwice.length,
    lostContacts: contacts.lost,
    unsettledContacts: contacts.unsettled,
    lostIds: contacts.lostIds,
    unsettledIds: contacts.unsettledIds,
    limitViolations: orgs.violations + batches.violations,
    webhooksMissing: notReceived.length + lostBeforeStore.length,
    details: {
      placedCalls: ps.length,
      attemptsPlacedTwice: attemptsPlacedTwice.slice(0, 20),
      contactOverlaps: overlapsWithinGroups(ps, (p) => p.contactId),
      callsWithoutEnd: ps.filter((p) => !p.ended).length,
      unknownAttempts,
      lostByReason: contacts.lostByReason,
      unsettledByReason: contacts.unsettledByReason,
      pausedBatches: paused.map((b) => ({ id: b.id, reason: b.status_reason })),
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
        lostContacts: contacts.lostIds.slice(0, 5),
        unsettledContacts: contacts.unsettledIds.slice(0, 5),
        completedNotReceived: notReceived.slice(0, 5).map((e) => e.id),
        completedLostBeforeStore: lostBeforeStore.slice(0, 5),
      },
    },
  };
}
