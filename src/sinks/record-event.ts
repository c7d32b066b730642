// A group of call events, one transaction. The group's attempts are locked in one statement;
// all events are stored in one statement (an id already stored is a duplicate and stops there);
// then each stored event moves its attempt through the transition table in memory, in order,
// a finished attempt settles its contact, and each touched attempt is written once. Synthetic
// closes (`closeIfOpen`) go last and only if the attempt is still open by then. What must
// happen after the commit (lease release, queue jobs, batch checks) is returned per event.
import type { Db } from '../core/db/client.js';
import type { AttemptUpdate } from '../core/db/schema.js';
import type { AttemptOutcome } from '../core/domain.js';
import type { WebhookBody } from '../core/events.js';
import type { CallEvent } from '../core/queues.js';
import { isAttemptCallEvent, transition, type AttemptCallEvent } from './attempt-machine.js';
import { attemptPatch } from './attempt-patch.js';
import { settleFinishedAttempt, type FinishedEvent } from './finish-attempt.js';
import type { NextOpen } from './retry-policy.js';
import { batchScope, lockAttempts, updateAttempt, type LockedAttempt } from './store/attempts.js';
import { recordCallEvent, recordCallEvents } from './store/call-events.js';

export interface FinishedAttempt {
  orgId: string;
  batchId: string;
  attemptId: string;
  outcome: AttemptOutcome;
  contactFinished: boolean;
  /** Answered length (null when never answered) and campaign mode, for the call duration metric. */
  answeredMs: number | null;
  mode: string;
}

export type Recorded =
  | { kind: 'skipped'; reason: 'duplicate' | 'unknown_attempt' | 'unknown_batch' | 'already_closed' }
  | { kind: 'stored'; bodies: WebhookBody[]; deliveryIds: string[]; finished: FinishedAttempt | null };

/** Events synthesised from LiveKit webhooks close an attempt only if nothing else did first. */
export function isCloseIfOpen(ev: CallEvent): boolean {
  return ev.type === 'call.completed' && ev.data.closeIfOpen === true;
}

interface Group {
  db: Db;
  attempts: Map<string, LockedAttempt>;
  patches: Map<string, AttemptUpdate>;
  nextOpen: NextOpen;
}

/** Records `events` (callers pass them in attempt-id order) and returns one result per event. */
export async function recordEvents(
  db: Db,
  events: readonly CallEvent[],
  nextOpen: NextOpen,
): Promise<Recorded[]> {
  const ids = [...new Set(events.flatMap((e) => (e.attemptId ? [e.attemptId] : [])))].sort();
  const g: Group = { db, attempts: await lockAttempts(db, ids), patches: new Map(), nextOpen };
  const out: Recorded[] = new Array<Recorded>(events.length);
  const bodies: (WebhookBody | null)[] = [];
  const seen = new Set<string>();
  for (const [i, ev] of events.entries()) {
    const body = seen.has(ev.id) ? null : await bodyFor(db, ev, g.attempts);
    seen.add(ev.id);
    bodies.push(body);
    if (!body) out[i] = skipped(ev, g.attempts);
  }
  const now = events.flatMap((ev, i) => (bodies[i] && !isCloseIfOpen(ev) ? [i] : []));
  const stored = await recordCallEvents(
    db,
    now.map((i) => bodies[i] as WebhookBody),
  );
  for (const i of now) {
    const ev = events[i] as CallEvent;
    const deliveryIds = stored.get(ev.id);
    out[i] = deliveryIds ? await apply(g, ev, bodies[i] as WebhookBody, deliveryIds) : dup;
  }
  for (const [i, ev] of events.entries()) {
    const body = bodies[i];
    if (!body || !isCloseIfOpen(ev)) continue;
    out[i] = await recordLate(g, ev, body);
  }
  for (const [id, update] of g.patches) await updateAttempt(db, id, update);
  return out;
}

const dup: Recorded = { kind: 'skipped', reason: 'duplicate' };

function skipped(ev: CallEvent, attempts: Map<string, LockedAttempt>): Recorded {
  if (ev.attemptId === null) return { kind: 'skipped', reason: 'unknown_batch' };
  // A known attempt without a body means the id repeated within the group.
  return { kind: 'skipped', reason: attempts.has(ev.attemptId) ? 'duplicate' : 'unknown_attempt' };
}

async function recordLate(g: Group, ev: CallEvent, body: WebhookBody): Promise<Recorded> {
  const a = ev.attemptId ? g.attempts.get(ev.attemptId) : undefined;
  if (a?.status === 'finished') return { kind: 'skipped', reason: 'already_closed' };
  const deliveryIds = await recordCallEvent(g.db, body);
  return deliveryIds ? apply(g, ev, body, deliveryIds) : dup;
}

/** Applies a stored event to its attempt's in-memory state; settles the contact if it finished. */
async function apply(
  g: Group,
  ev: CallEvent,
  body: WebhookBody,
  deliveryIds: string[],
): Promise<Recorded> {
  const a = ev.attemptId ? g.attempts.get(ev.attemptId) : undefined;
  if (!a || !isAttemptCallEvent(ev)) return { kind: 'stored', bodies: [body], deliveryIds, finished: null };
  const occurredAt = new Date(ev.occurredAt);
  const patch = attemptPatch(transition(a.status, ev.type), a, { ...ev, occurredAt });
  Object.assign(a, patch.update);
  g.patches.set(a.id, { ...g.patches.get(a.id), ...patch.update });
  if (patch.outcome === null) return { kind: 'stored', bodies: [body], deliveryIds, finished: null };
  const contact = await settleFinishedAttempt(
    g.db,
    a,
    patch.outcome,
    finishedEvent(ev, occurredAt),
    g.nextOpen,
  );
  return {
    kind: 'stored',
    bodies: [body, contact.body],
    deliveryIds: [...deliveryIds, ...contact.deliveryIds],
    finished: {
      orgId: a.org_id,
      batchId: a.batch_id,
      attemptId: a.id,
      outcome: patch.outcome,
      contactFinished: contact.contactFinished,
      answeredMs: a.answered_at ? a.duration_ms : null,
      mode: typeof a.campaign_config.mode === 'string' ? a.campaign_config.mode : 'unknown',
    },
  };
}

async function bodyFor(
  db: Db,
  ev: CallEvent,
  attempts: Map<string, LockedAttempt>,
): Promise<WebhookBody | null> {
  const { closeIfOpen: _internal, ...data } = ev.data;
  const occurredAt = new Date(ev.occurredAt).toISOString();
  if (ev.attemptId === null) {
    const scope = ev.batchId ? await batchScope(db, ev.batchId) : undefined;
    if (!ev.batchId || !scope) return null;
    const s = { orgId: scope.org_id, campaignId: scope.campaign_id, batchId: ev.batchId };
    return { id: ev.id, type: ev.type, occurredAt, ...s, contactId: null, attemptId: null, data };
  }
  const a = attempts.get(ev.attemptId);
  if (!a) return null;
  return {
    id: ev.id,
    type: ev.type,
    occurredAt,
    orgId: a.org_id,
    campaignId: a.campaign_id,
    batchId: a.batch_id,
    contactId: a.contact_id,
    attemptId: a.id,
    data,
  };
}

/** What the contact's settlement needs from the event that finished the attempt (data typed by its schema). */
function finishedEvent(ev: AttemptCallEvent, occurredAt: Date): FinishedEvent {
  const asked = ev.type === 'call.completed' ? ev.data : null;
  return {
    id: ev.id,
    occurredAt,
    callbackAt: asked?.callbackAt ? new Date(asked.callbackAt) : null,
    optOut: asked?.optOut === true,
  };
}
