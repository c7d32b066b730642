// What a finished attempt means for its contact: the retry decision (pure, retry-policy.ts)
// written to the contact row, an opt-out added to the org's DNC list, and the
// `contact.retry_scheduled` / `contact.finished` event stored with its deliveries.
import { retrySchema, scheduleSchema, type RetryPolicyConfig } from '../core/campaign.js';
import type { Db } from '../core/db/client.js';
import type { AttemptOutcome } from '../core/domain.js';
import type { WebhookBody } from '../core/events.js';
import { decideRetry, type NextOpen, type RetryDecision } from './retry-policy.js';
import { derivedId } from '../core/ids.js';
import { previousOutcomes, type LockedAttempt } from './store/attempts.js';
import { recordCallEvent } from './store/call-events.js';
import { addToDnc, settleContact } from './store/contacts.js';

export interface FinishedEvent {
  id: string;
  occurredAt: Date;
  /** What the callee asked for (call.completed from the two-way agent's tools). */
  callbackAt: Date | null;
  optOut: boolean;
}

export interface ContactResult {
  body: WebhookBody;
  deliveryIds: string[];
  contactFinished: boolean;
}

export async function settleFinishedAttempt(
  db: Db,
  a: LockedAttempt,
  outcome: AttemptOutcome,
  ev: FinishedEvent,
  nextOpen: NextOpen,
): Promise<ContactResult> {
  const config = retrySchema.parse(a.campaign_config.retry ?? {});
  const optOut = ev.optOut;
  let decision = await decide(db, a, outcome, ev, config, nextOpen);
  if (optOut) await addToDnc(db, a.org_id, a.phone, 'opt_out');
  const status = await settleContact(db, {
    contactId: a.contact_id,
    attempt: a.attempt,
    outcome,
    status: decision.kind === 'retry' ? 'pending' : a.batch_status === 'cancelled' ? 'cancelled' : 'finished',
    nextAttemptAt: decision.kind === 'retry' ? decision.at : null,
  });
  // A contact cancelled or suppressed while its call ran is not called again, whatever the policy said.
  if (decision.kind === 'retry' && status !== 'pending')
    decision = { kind: 'finish', reason: 'not_retryable' };
  const body = contactEvent(a, outcome, ev, config.maxAttempts, decision);
  return {
    body,
    deliveryIds: (await recordCallEvent(db, body)) ?? [],
    contactFinished: decision.kind === 'finish',
  };
}

async function decide(
  db: Db,
  a: LockedAttempt,
  outcome: AttemptOutcome,
  ev: FinishedEvent,
  config: RetryPolicyConfig,
  nextOpen: NextOpen,
): Promise<RetryDecision> {
  if (a.batch_status === 'cancelled') return { kind: 'finish', reason: 'not_retryable' };
  const input = {
    outcome,
    attempt: a.attempt,
    config,
    schedule: scheduleSchema.parse(a.campaign_config.schedule ?? {}),
    zones: a.timezones,
    endedAt: ev.occurredAt,
    previousOutcomes: await previousOutcomes(db, a.contact_id, a.attempt),
    callbackAt: ev.callbackAt,
    optOut: ev.optOut,
  };
  return decideRetry(input, nextOpen);
}

/** `isLastAttempt` is true when no further attempt will be made for the contact. */
function contactEvent(
  a: LockedAttempt,
  outcome: AttemptOutcome,
  ev: FinishedEvent,
  maxAttempts: number,
  decision: RetryDecision,
): WebhookBody {
  const retry = decision.kind === 'retry';
  return {
    id: derivedId(`${ev.id}:contact`),
    type: retry ? 'contact.retry_scheduled' : 'contact.finished',
    occurredAt: ev.occurredAt.toISOString(),
    orgId: a.org_id,
    campaignId: a.campaign_id,
    batchId: a.batch_id,
    contactId: a.contact_id,
    attemptId: a.id,
    data: {
      attempt: a.attempt,
      maxAttempts,
      isLastAttempt: !retry,
      outcome,
      reason: decision.reason,
      ...(retry ? { nextAttempt: a.attempt + 1, nextAttemptAt: decision.at.toISOString() } : {}),
    },
  };
}
