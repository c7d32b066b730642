// One call event, one transaction: store it in the audit log (a duplicate id stops here), move
// the attempt through the transition table, settle the contact when the attempt finished, and
// write the webhook delivery rows of every event stored. What must happen after the commit
// (lease release, queue jobs, batch checks) is returned to the caller.
import type { Db } from '../core/db/client.js';
import type { AttemptOutcome } from '../core/domain.js';
import type { WebhookBody } from '../core/events.js';
import type { CallEventJob } from '../core/queues.js';
import { isAttemptEvent, transition } from './attempt-machine.js';
import { attemptPatch } from './attempt-patch.js';
import { settleFinishedAttempt } from './finish-attempt.js';
import type { NextOpen } from './retry-policy.js';
import { batchScope, lockAttempt, updateAttempt, type LockedAttempt } from './store/attempts.js';
import { recordCallEvent } from './store/call-events.js';

export interface FinishedAttempt {
  orgId: string;
  batchId: string;
  attemptId: string;
  outcome: AttemptOutcome;
  contactFinished: boolean;
}

export type Recorded =
  | { kind: 'skipped'; reason: 'duplicate' | 'unknown_attempt' | 'unknown_batch' | 'already_closed' }
  | { kind: 'stored'; bodies: WebhookBody[]; deliveryIds: string[]; finished: FinishedAttempt | null };

/** Events synthesised from LiveKit webhooks close an attempt only if nothing else did first. */
export function isCloseIfOpen(ev: CallEventJob): boolean {
  return ev.data.closeIfOpen === true;
}

export async function recordEvent(db: Db, ev: CallEventJob, nextOpen: NextOpen): Promise<Recorded> {
  if (ev.attemptId === null) return recordBatchEvent(db, ev);
  const a = await lockAttempt(db, ev.attemptId);
  if (!a) return { kind: 'skipped', reason: 'unknown_attempt' };
  if (isCloseIfOpen(ev) && a.status === 'finished') return { kind: 'skipped', reason: 'already_closed' };
  const body = bodyFor(ev, a);
  const deliveryIds = await recordCallEvent(db, body);
  if (deliveryIds === null) return { kind: 'skipped', reason: 'duplicate' };
  if (!isAttemptEvent(ev.type)) return { kind: 'stored', bodies: [body], deliveryIds, finished: null };

  const occurredAt = new Date(ev.occurredAt);
  const patch = attemptPatch(transition(a.status, ev.type), a, { type: ev.type, occurredAt, data: ev.data });
  await updateAttempt(db, a.id, patch.update);
  if (patch.outcome === null) return { kind: 'stored', bodies: [body], deliveryIds, finished: null };

  const contact = await settleFinishedAttempt(
    db,
    a,
    patch.outcome,
    { id: ev.id, occurredAt, data: ev.data },
    nextOpen,
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
    },
  };
}

async function recordBatchEvent(db: Db, ev: CallEventJob): Promise<Recorded> {
  const batchId = ev.batchId ?? null;
  const scope = batchId ? await batchScope(db, batchId) : undefined;
  if (!batchId || !scope) return { kind: 'skipped', reason: 'unknown_batch' };
  const body: WebhookBody = {
    id: ev.id,
    type: ev.type,
    occurredAt: ev.occurredAt,
    orgId: scope.org_id,
    campaignId: scope.campaign_id,
    batchId,
    contactId: null,
    attemptId: null,
    data: ev.data,
  };
  const deliveryIds = await recordCallEvent(db, body);
  if (deliveryIds === null) return { kind: 'skipped', reason: 'duplicate' };
  return { kind: 'stored', bodies: [body], deliveryIds, finished: null };
}

function bodyFor(ev: CallEventJob, a: LockedAttempt): WebhookBody {
  const { closeIfOpen: _internal, ...data } = ev.data;
  return {
    id: ev.id,
    type: ev.type,
    occurredAt: new Date(ev.occurredAt).toISOString(),
    orgId: a.org_id,
    campaignId: a.campaign_id,
    batchId: a.batch_id,
    contactId: a.contact_id,
    attemptId: a.id,
    data,
  };
}
