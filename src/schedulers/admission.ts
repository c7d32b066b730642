// One admission cycle: runnable batches round-robin → free slots (org, batch, system, trunk CPS)
// → due contacts claimed FOR UPDATE SKIP LOCKED → window and DNC re-checked at this instant →
// leases taken (all three or none, per attempt) → attempts created as `queued` → `dial` jobs with
// jobId = attempt id and `call.queued` events. A contact is admitted only inside its window; this
// module is the only writer of attempts.status = queued. Limits hold across any number of
// schedulers because the lease script, not this arithmetic, is the guard.
import { randomUUID } from 'node:crypto';
import { callDeadlineMs, callMarginMs } from '../core/call-deadline.js';
import { isOpen, nextOpen } from '../core/calling-window.js';
import { scheduleSchema, type Schedule } from '../core/campaign.js';
import { activateDueBatches } from '../core/sql/batches/activate.js';
import { newCallEvent, queueCallEvents, writeOutbox } from '../core/events.js';
import type { CallEventJob } from '../core/queues.js';
import { pipelineAcquire, type SlotLeases, type TrunkBuckets } from '../core/leases.js';
import type { OutdialMetrics } from '../core/metrics-catalog.js';
import type { Runtime } from '../core/runtime.js';
import { allocateSlots, fitToTokens, rotate, type BatchDemand } from './allocation.js';
import { createAttempts, finishDncContacts, rescheduleContacts, type NewAttempt } from './sql/admit-contacts.js';
import { claimDueContacts, lockRunningBatches, type ClaimedContact } from './sql/claim-contacts.js';
import { runnableBatches, type RunnableBatch } from './sql/runnable-batches.js';

/** A window that never opens again (within nextOpen's horizon) is looked at again after this long. */
const NEVER_OPEN_RECHECK_MS = 24 * 3600_000;
/** Extra rows a batch's claim may take beyond its quota, to reschedule closed-window contacts. */
const SWEEP_MAX = 100;

export interface AdmissionDeps {
  rt: Runtime;
  leases: SlotLeases;
  buckets: TrunkBuckets;
  metrics: OutdialMetrics;
  now?: () => Date;
}

export interface CycleResult {
  admitted: number;
  rescheduled: number;
  dnc: number;
  /** Some trunk had fewer call tokens than free slots wanted: worth another cycle soon. */
  tokenLimited: boolean;
  /** False when Redis lost the leases and the reconciler has not rebuilt them yet: nothing was admitted. */
  leasesReady: boolean;
}

const scheduleCache = new Map<string, Schedule>();
function scheduleOf(b: RunnableBatch): Schedule {
  let s = scheduleCache.get(b.scheduleJson);
  if (!s) {
    s = scheduleSchema.parse(JSON.parse(b.scheduleJson));
    if (scheduleCache.size > 1000) scheduleCache.clear();
    scheduleCache.set(b.scheduleJson, s);
  }
  return s;
}

/** How many contacts each batch may claim now, bounded by every limit and the trunks' CPS buckets. */
async function quotas(deps: AdmissionDeps, batches: RunnableBatch[], cycle: number) {
  const { rt, leases, buckets } = deps;
  const orgIds = [...new Set(batches.map((b) => b.orgId))];
  const active = await leases.active({ orgIds, batchIds: batches.map((b) => b.id) });
  if (!active.ready) return null;
  for (const [orgId, n] of active.org) deps.metrics.activeCalls.set({ org: orgId }, n);
  const demands: BatchDemand[] = rotate(batches, cycle).map((b) => ({
    batchId: b.id,
    orgId: b.orgId,
    trunkId: b.trunkId,
    batchLimit: b.batchLimit,
    batchActive: active.batch.get(b.id) ?? 0,
    due: b.due,
  }));
  const orgs = new Map(batches.map((b) => [b.orgId, { limit: b.orgLimit, active: active.org.get(b.orgId) ?? 0 }]));
  const slots = allocateSlots({ batches: demands, orgs, system: { limit: rt.config.OUTDIAL_MAX_ACTIVE_CALLS, active: active.system } });
  const perTrunk = new Map<string, { cps: number; want: number }>();
  for (const b of batches) {
    const t = perTrunk.get(b.trunkId) ?? { cps: b.cps, want: 0 };
    t.want += slots.get(b.id) ?? 0;
    perTrunk.set(b.trunkId, t);
  }
  const tokens = new Map(
    await Promise.all([...perTrunk].map(async ([trunk, t]) => [trunk, await buckets.take(trunk, t.cps, t.want)] as const)),
  );
  const tokenLimited = [...perTrunk].some(([trunk, t]) => (tokens.get(trunk) ?? 0) < t.want);
  return { quota: fitToTokens(demands, slots, tokens), tokens, perTrunk, active, tokenLimited };
}

interface Sorted {
  admit: ClaimedContact[];
  moves: { contactId: string; at: Date }[];
  dnc: ClaimedContact[];
}

/**
 * Each batch's claim reaches past its quota (see claimLimits) so that contacts whose window is
 * closed (an import lands every contact due at once, day or night) are moved out of the way
 * quickly; only `quota` open contacts per batch are admitted, the rest stay pending untouched.
 */
function partitionClaims(claimed: ClaimedContact[], byId: Map<string, RunnableBatch>, quota: Map<string, number>, now: Date): Sorted {
  const out: Sorted = { admit: [], moves: [], dnc: [] };
  const admitted = new Map<string, number>();
  for (const c of claimed) {
    if (c.dnc) {
      out.dnc.push(c);
      continue;
    }
    const schedule = scheduleOf(byId.get(c.batchId)!);
    if (isOpen(c.timezones, schedule, now)) {
      const n = admitted.get(c.batchId) ?? 0;
      if (n < (quota.get(c.batchId) ?? 0)) {
        out.admit.push(c);
        admitted.set(c.batchId, n + 1);
      }
    } else {
      const at = nextOpen(c.timezones, schedule, now) ?? new Date(now.getTime() + NEVER_OPEN_RECHECK_MS);
      out.moves.push({ contactId: c.id, at });
    }
  }
  return out;
}

/** Rows to claim per batch: the quota, plus as many again (up to SWEEP_MAX) to move closed-window contacts on. */
function claimLimits(quota: Map<string, number>, running: Set<string>): Map<string, number> {
  return new Map([...quota].filter(([id, q]) => running.has(id) && q > 0).map(([id, q]) => [id, q + Math.min(q, SWEEP_MAX)]));
}

/** Takes leases for every batch in one pipelined round trip; returns the contacts that got one. */
async function takeLeases(deps: AdmissionDeps, admit: ClaimedContact[], byId: Map<string, RunnableBatch>) {
  const granted: { contact: ClaimedContact; attemptId: string; batch: RunnableBatch }[] = [];
  const groups = new Map<string, ClaimedContact[]>();
  for (const c of admit) groups.set(c.batchId, [...(groups.get(c.batchId) ?? []), c]);
  if (groups.size === 0) return granted;
  const pipeline = deps.rt.redis.pipeline();
  const plans = [...groups].map(([batchId, contacts]) => {
    const b = byId.get(batchId)!;
    const ids = contacts.map(() => randomUUID());
    pipelineAcquire(pipeline, deps.rt.keys, {
      orgId: b.orgId,
      batchId,
      attemptIds: ids,
      limits: { org: b.orgLimit, batch: b.batchLimit, system: deps.rt.config.OUTDIAL_MAX_ACTIVE_CALLS },
      ttlMs: callDeadlineMs(b, callMarginMs(deps.rt.config)),
    });
    return { b, contacts, ids };
  });
  const replies = (await pipeline.exec()) ?? [];
  let failure: Error | null = null;
  for (const [i, { b, contacts, ids }] of plans.entries()) {
    const [err, got] = replies[i] ?? [new Error('lease pipeline returned no reply'), 0];
    if (err) failure ??= err;
    else for (let j = 0; j < Number(got); j++) granted.push({ contact: contacts[j]!, attemptId: ids[j]!, batch: b });
  }
  if (failure) {
    // Some batches got their slots and others did not: give back what was taken, then fail the cycle.
    for (const g of granted) await deps.leases.release({ orgId: g.batch.orgId, batchId: g.batch.id, attemptId: g.attemptId }).catch(() => undefined);
    throw failure;
  }
  return granted;
}

/** scheduled → running for batches whose start has come, each announced once (`batch.started`). */
export async function activateBatches(rt: Runtime): Promise<number> {
  return (await activateDueBatches(rt.db, rt.queues.callEvents)).length;
}

export async function runCycle(deps: AdmissionDeps, cycle: number): Promise<CycleResult> {
  const { rt } = deps;
  const now = deps.now?.() ?? new Date();
  // Batches with nothing due cost no lease or token work.
  const batches = (await runnableBatches(rt.db)).filter((b) => b.due > 0);
  if (batches.length === 0) return { admitted: 0, rescheduled: 0, dnc: 0, tokenLimited: false, leasesReady: true };
  const byId = new Map(batches.map((b) => [b.id, b]));
  const planned = await quotas(deps, batches, cycle);
  // Empty lease sets after a Redis loss would look like free slots: admit nothing until rebuilt.
  if (!planned) return { admitted: 0, rescheduled: 0, dnc: 0, tokenLimited: false, leasesReady: false };
  const { quota, tokens, perTrunk, tokenLimited } = planned;

  let granted: Awaited<ReturnType<typeof takeLeases>> = [];
  let sorted: Sorted = { admit: [], moves: [], dnc: [] };
  let events: CallEventJob[] = [];
  let committing = false;
  try {
    await rt.db.transaction().execute(async (trx) => {
      const running = await lockRunningBatches(trx, [...quota.keys()]);
      const claimed = await claimDueContacts(trx, claimLimits(quota, running));
      sorted = partitionClaims(claimed, byId, quota, now);
      granted = await takeLeases(deps, sorted.admit, byId);
      await createAttempts(trx, granted.map(toAttempt));
      await rescheduleContacts(trx, sorted.moves);
      await finishDncContacts(trx, sorted.dnc.map((c) => c.id));
      // The events commit with the attempts they announce (outbox), so a Redis loss cannot drop them.
      events = admissionEvents(granted, sorted.dnc, byId, now);
      await writeOutbox(trx, events);
      committing = true;
    });
  } catch (err) {
    // Failed before COMMIT: the attempts were never committed, so their slots go back at once
    // instead of at expiry. Failed in COMMIT (the connection dropped): the attempts may exist,
    // so the slots are kept; the reconciler frees them if no attempt row shows up within
    // ORPHAN_LEASE_GRACE_MS, and keeps them for the calls otherwise.
    if (!committing) {
      for (const g of granted) await deps.leases.release({ orgId: g.batch.orgId, batchId: g.batch.id, attemptId: g.attemptId }).catch(() => undefined);
    }
    throw err;
  }
  await Promise.all([refundTokens(deps, tokens, perTrunk, granted), enqueue(deps, granted, events, now)]);
  return { admitted: granted.length, rescheduled: sorted.moves.length, dnc: sorted.dnc.length, tokenLimited, leasesReady: true };
}

function toAttempt(g: { contact: ClaimedContact; attemptId: string; batch: RunnableBatch }): NewAttempt {
  return {
    id: g.attemptId,
    orgId: g.batch.orgId,
    campaignId: g.batch.campaignId,
    batchId: g.batch.id,
    contactId: g.contact.id,
    attempt: g.contact.attempts + 1,
  };
}

async function refundTokens(
  deps: AdmissionDeps,
  tokens: Map<string, number>,
  perTrunk: Map<string, { cps: number }>,
  granted: { batch: RunnableBatch }[],
) {
  const used = new Map<string, number>();
  for (const g of granted) used.set(g.batch.trunkId, (used.get(g.batch.trunkId) ?? 0) + 1);
  await Promise.all([...tokens].map(([trunk, n]) => deps.buckets.refund(trunk, perTrunk.get(trunk)!.cps, n - (used.get(trunk) ?? 0))));
}

/** `call.queued` for each admitted contact and `contact.finished` for each found on the DNC list. */
function admissionEvents(
  granted: { contact: ClaimedContact; attemptId: string }[],
  dnc: ClaimedContact[],
  byId: Map<string, RunnableBatch>,
  now: Date,
): CallEventJob[] {
  return [
    ...granted.map((g) => newCallEvent('call.queued', g.attemptId, { attempt: g.contact.attempts + 1 }, now)),
    ...dnc.map((c) => ({
      ...newCallEvent('contact.finished', null, {
        contactId: c.id,
        outcome: 'dnc',
        attempt: c.attempts,
        maxAttempts: byId.get(c.batchId)!.maxAttempts,
        isLastAttempt: true,
      }),
      batchId: c.batchId,
    })),
  ];
}

/** After commit: dial jobs and the events. If Redis fails here the reconciler re-enqueues from Postgres. */
async function enqueue(
  deps: AdmissionDeps,
  granted: { contact: ClaimedContact; attemptId: string }[],
  events: CallEventJob[],
  now: Date,
) {
  const { rt, metrics } = deps;
  await Promise.all([
    granted.length === 0
      ? undefined
      : rt.queues.dial.addBulk(granted.map((g) => ({ name: 'dial', data: { attemptId: g.attemptId }, opts: { jobId: g.attemptId } }))),
    queueCallEvents(rt.queues.callEvents, events),
  ]);
  for (const g of granted) metrics.admissionLatency.observe(Math.max(0, (now.getTime() - g.contact.nextAttemptAt.getTime()) / 1000));
}
