import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyContact, classifyContacts, type AttemptFacts, type ContactFacts } from '../chaos/classify.js';

const rules = { maxAttempts: 2, stuckDeadlineMs: 35_000, graceMs: 60_000 };
const done = (outcome: string | null = 'completed'): AttemptFacts => ({ id: 'a', status: 'finished', outcome, openForMs: null });
const open = (openForMs: number, status = 'dialing'): AttemptFacts => ({ id: 'o', status, outcome: null, openForMs });
const contact = (status: string, attempts: AttemptFacts[], hasNextAttempt = true, batchStatus = 'running'): ContactFacts => ({
  id: 'c',
  status,
  hasNextAttempt,
  batchStatus,
  attempts,
});

describe('classifyContact', () => {
  it('settles a finished contact and one waiting for a retry it has attempts left for', () => {
    expect(classifyContact(contact('finished', [done(), done('busy')]), rules)).toEqual({ kind: 'settled' });
    expect(classifyContact(contact('pending', [done('busy')]), rules)).toEqual({ kind: 'settled' });
  });

  it('counts a slow run as unsettled: never called yet, or a call within its deadline and grace', () => {
    expect(classifyContact(contact('pending', []), rules)).toEqual({ kind: 'unsettled', reason: 'never_called' });
    expect(classifyContact(contact('pending', [], true, 'paused'), rules)).toEqual({ kind: 'unsettled', reason: 'batch_paused' });
    expect(classifyContact(contact('in_progress', [done('busy'), open(95_000)]), rules)).toEqual({ kind: 'unsettled', reason: 'call_in_flight' });
    expect(classifyContact(contact('in_progress', [open(1000, 'queued')]), rules)).toEqual({ kind: 'unsettled', reason: 'call_in_flight' });
  });

  it('counts as lost what nothing will move on', () => {
    const cases: [ContactFacts, string][] = [
      // issue 22: an attempt left open ten minutes past its deadline
      [contact('in_progress', [open(600_000)]), 'open_past_deadline'],
      [contact('in_progress', [open(95_001)]), 'open_past_deadline'],
      [contact('finished', [done(null)]), 'ended_without_outcome'],
      [contact('in_progress', [open(1000), { ...open(2000), id: 'p' }]), 'several_open_attempts'],
      [contact('finished', [open(1000)]), 'finished_with_open_attempt'],
      [contact('in_progress', [done('busy')]), 'in_progress_without_attempt'],
      [contact('pending', [done('busy')], false), 'pending_without_next_attempt'],
      [contact('pending', [], false), 'pending_without_next_attempt'],
      [contact('pending', [done('busy'), done('busy')]), 'pending_out_of_attempts'],
      [contact('suppressed', []), 'unexpected_status'],
    ];
    for (const [c, reason] of cases) expect(classifyContact(c, rules), reason).toEqual({ kind: 'lost', reason });
  });
});

const attemptArb: fc.Arbitrary<AttemptFacts> = fc.oneof(
  fc.record({ id: fc.uuid(), status: fc.constant('finished'), outcome: fc.constantFrom('completed', 'busy', null), openForMs: fc.constant(null) }),
  fc.record({ id: fc.uuid(), status: fc.constantFrom('queued', 'dialing', 'in_progress'), outcome: fc.constant(null), openForMs: fc.integer({ min: 0, max: 1_000_000 }) }),
);
const contactArb: fc.Arbitrary<ContactFacts> = fc.record({
  id: fc.uuid(),
  status: fc.constantFrom('pending', 'in_progress', 'finished', 'cancelled'),
  hasNextAttempt: fc.boolean(),
  batchStatus: fc.constantFrom('running', 'paused', 'completed'),
  attempts: fc.array(attemptArb, { maxLength: 3 }),
});

describe('classifyContact properties', () => {
  it('settles exactly the contacts the run always accepted, less those with an attempt closed without an outcome', () => {
    fc.assert(
      fc.property(contactArb, (c) => {
        const noneOpen = c.attempts.every((a) => a.status === 'finished');
        const waiting = c.status === 'pending' && c.hasNextAttempt && c.attempts.length >= 1 && c.attempts.length <= rules.maxAttempts - 1;
        const accepted = noneOpen && (c.status === 'finished' || waiting);
        const closedBlank = c.attempts.some((a) => a.status === 'finished' && a.outcome === null);
        expect(classifyContact(c, rules).kind === 'settled').toBe(accepted && !closedBlank);
      }),
      { seed: 22, numRuns: 2000 },
    );
  });

  it('turns a lone open attempt of an unfinished contact from unsettled to lost exactly past deadline + grace', () => {
    fc.assert(
      fc.property(fc.constantFrom('pending', 'in_progress'), fc.integer({ min: 0, max: 1_000_000 }), (status, ms) => {
        const v = classifyContact(contact(status, [done('busy'), open(ms)]), rules);
        expect(v.kind).toBe(ms > rules.stuckDeadlineMs + rules.graceMs ? 'lost' : 'unsettled');
      }),
      { seed: 2222, numRuns: 500 },
    );
  });

  it('sums per reason to the totals and lists each unsettled or lost contact once', () => {
    fc.assert(
      fc.property(fc.array(contactArb, { maxLength: 30 }), (cs) => {
        const r = classifyContacts(cs, rules);
        const kinds = cs.map((c) => classifyContact(c, rules).kind);
        expect(r.lost).toBe(kinds.filter((k) => k === 'lost').length);
        expect(r.unsettled).toBe(kinds.filter((k) => k === 'unsettled').length);
        expect(r.lostByReason.reduce((s, x) => s + x.n, 0)).toBe(r.lost);
        expect(r.unsettledByReason.reduce((s, x) => s + x.n, 0)).toBe(r.unsettled);
        expect(r.lostIds).toEqual(cs.filter((_, i) => kinds[i] === 'lost').map((c) => c.id));
        expect(r.unsettledIds).toEqual(cs.filter((_, i) => kinds[i] === 'unsettled').map((c) => c.id));
      }),
      { seed: 222, numRuns: 300 },
    );
  });
});
