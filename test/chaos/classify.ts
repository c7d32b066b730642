// Where each contact stands when the chaos run ends, from its row and its attempts alone (pure).
// Settled: finished, or waiting for a retry it has attempts left for. Unsettled: not there yet but
// on a path that gets there (never called yet, a call within its deadline, or waiting in a batch
// the circuit breaker paused, for an operator's resume): a slow run, not harm.
// Lost: nothing will move it on (an attempt closed without an outcome, one left open well past the
// deadline at which the reconciler fails it, a contact in progress with no open attempt, pending
// with no next attempt time or no attempts left): harm.

export interface AttemptFacts {
  id: string;
  status: string;
  outcome: string | null;
  /** How long it had been open (from the start of dialling, else from queueing) when the roles stopped; null once finished. */
  openForMs: number | null;
}

export interface ContactFacts {
  id: string;
  status: string;
  /** Whether the contact has a next attempt time (a pending contact without one is never admitted). */
  hasNextAttempt: boolean;
  /** Its batch's status: a paused batch admits nobody until it is resumed. */
  batchStatus: string;
  attempts: readonly AttemptFacts[];
}

export interface ClassifyRules {
  maxAttempts: number;
  /** Ring timeout + max call + lease margin: past this the reconciler fails an open attempt as stuck. */
  stuckDeadlineMs: number;
  /** Time the reconciler and the sinks get past that deadline before an open attempt counts as lost. */
  graceMs: number;
}

export const lostReasons = [
  'ended_without_outcome',
  'several_open_attempts',
  'open_past_deadline',
  'finished_with_open_attempt',
  'in_progress_without_attempt',
  'pending_without_next_attempt',
  'pending_out_of_attempts',
  'unexpected_status',
] as const;
export const unsettledReasons = ['call_in_flight', 'never_called', 'batch_paused'] as const;

export type ContactVerdict =
  | { kind: 'settled' }
  | { kind: 'unsettled'; reason: (typeof unsettledReasons)[number] }
  | { kind: 'lost'; reason: (typeof lostReasons)[number] };

const lost = (reason: (typeof lostReasons)[number]): ContactVerdict => ({ kind: 'lost', reason });
const unsettled = (reason: (typeof unsettledReasons)[number]): ContactVerdict => ({ kind: 'unsettled', reason });

export function classifyContact(c: ContactFacts, rules: ClassifyRules): ContactVerdict {
  if (c.attempts.some((a) => a.status === 'finished' && a.outcome === null)) return lost('ended_without_outcome');
  const open = c.attempts.filter((a) => a.status !== 'finished');
  if (open.length > 1) return lost('several_open_attempts');
  const [call] = open;
  if (call) {
    if (c.status === 'finished') return lost('finished_with_open_attempt');
    const overdue = (call.openForMs ?? 0) > rules.stuckDeadlineMs + rules.graceMs;
    return overdue ? lost('open_past_deadline') : unsettled('call_in_flight');
  }
  switch (c.status) {
    case 'finished':
      return { kind: 'settled' };
    case 'in_progress':
      return lost('in_progress_without_attempt');
    case 'pending':
      if (!c.hasNextAttempt) return lost('pending_without_next_attempt');
      if (c.attempts.length === 0) return unsettled(c.batchStatus === 'paused' ? 'batch_paused' : 'never_called');
      return c.attempts.length < rules.maxAttempts ? { kind: 'settled' } : lost('pending_out_of_attempts');
    default:
      return lost('unexpected_status');
  }
}

export interface Classified {
  lost: number;
  unsettled: number;
  /** Counts per reason, largest first. */
  lostByReason: { reason: string; n: number }[];
  unsettledByReason: { reason: string; n: number }[];
  /** Contact ids of each kind, in input order. */
  lostIds: string[];
  unsettledIds: string[];
}

export function classifyContacts(contacts: readonly ContactFacts[], rules: ClassifyRules): Classified {
  const out: Classified = { lost: 0, unsettled: 0, lostByReason: [], unsettledByReason: [], lostIds: [], unsettledIds: [] };
  const lostBy = new Map<string, number>();
  const unsettledBy = new Map<string, number>();
  for (const c of contacts) {
    const v = classifyContact(c, rules);
    if (v.kind === 'lost') {
      out.lostIds.push(c.id);
      lostBy.set(v.reason, (lostBy.get(v.reason) ?? 0) + 1);
    } else if (v.kind === 'unsettled') {
      out.unsettledIds.push(c.id);
      unsettledBy.set(v.reason, (unsettledBy.get(v.reason) ?? 0) + 1);
    }
  }
  const ranked = (m: Map<string, number>) => [...m].map(([reason, n]) => ({ reason, n })).sort((a, b) => b.n - a.n);
  out.lost = out.lostIds.length;
  out.unsettled = out.unsettledIds.length;
  out.lostByReason = ranked(lostBy);
  out.unsettledByReason = ranked(unsettledBy);
  return out;
}
