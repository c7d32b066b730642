// The `dial` job: validate → claim the attempt (queued → dialing) → announce `call.dialing` →
// hand the call to the Telephony adapter. Nothing reaches the provider unless the claim succeeded,
// so a redelivered or stalled job for an attempt already past `queued` completes without dialling.
import { UnrecoverableError, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { campaignInputSchema } from '../core/campaign.js';
import type { Database } from '../core/db/schema.js';
import { emitDurably, newCallEvent } from '../core/events.js';
import { unclaimableEventId } from '../core/ids.js';
import { maskPhone, type Logger } from '../core/logger.js';
import { dialJobSchema, type CallEventJob } from '../core/queues.js';
import { claimAttemptForDial, unclaimable, type ClaimedAttempt } from './attempt-claim.js';
import type { DialMetrics } from './dial-metrics.js';
import type { CallEvents, DialRequest, Telephony } from './telephony.js';
import { OWN_FAILURE_REASONS } from '../core/failure-reasons.js';

export interface DialProcessorDeps {
  db: Kysely<Database>;
  telephony: Telephony;
  callEvents: Queue<CallEventJob>;
  log: Logger;
  metrics: DialMetrics;
  /** OUTDIAL_LEASE_MARGIN_SECONDS in ms: an attempt queued longer ago is not dialled. */
  leaseMarginMs?: number;
}

export type DialJobResult =
  | { status: 'skipped'; reason: 'not_queued' }
  | { status: 'answered' }
  | { status: 'failed'; outcome: string };

/** Emits through the outbox; an event that reached only one of outbox and queue is logged (the reconciler or the queue carries it). */
async function emitLogged(deps: DialProcessorDeps, events: CallEventJob[]): Promise<void> {
  const r = await emitDurably(deps.db, deps.callEvents, events);
  if (!r.outbox || !r.queued) {
    const what = r.outbox ? 'event.queue_unavailable' : 'event.outbox_unavailable';
    deps.log.warn({ eventIds: events.map((e) => e.id), err: r.error?.message }, what);
  }
}

/** Binds events to the attempt and times the dial: INVITE sent, then answered or failed. */
function callEventsFor(deps: DialProcessorDeps, attemptId: string, startedAt: number): CallEvents {
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  let rang = false;
  let settled = false;
  return {
    emit: (type, data) => {
      if (!settled && (type === 'call.answered' || type === 'call.failed')) {
        settled = true;
        deps.metrics.dialSetup(elapsed());
      }
      return emitLogged(deps, [newCallEvent(type, attemptId, data)]);
    },
    ringing: () => {
      if (rang) return;
      rang = true;
      deps.metrics.inviteSent?.(elapsed());
    },
  };
}

function dialRequest(claimed: ClaimedAttempt, campaign: DialRequest['campaign']): DialRequest {
  return {
    attemptId: claimed.attemptId,
    orgId: claimed.orgId,
    campaignId: claimed.campaignId,
    batchId: claimed.batchId,
    contactId: claimed.contactId,
    attempt: claimed.attempt,
    phone: claimed.phone,
    roomName: claimed.roomName,
    campaign,
    timezones: claimed.timezones,
    variables: { name: claimed.contactName ?? '', ...claimed.variables },
  };
}

export function createDialProcessor(deps: DialProcessorDeps): (data: unknown) => Promise<DialJobResult> {
  return async (data) => {
    const startedAt = performance.now();
    const parsed = dialJobSchema.safeParse(data);
    // A malformed payload will not get better on retry.
    if (!parsed.success) throw new UnrecoverableError(`invalid dial job: ${parsed.error.message}`);
    const { attemptId } = parsed.data;

    const claimed = await claimAttemptForDial(deps.db, attemptId, deps.leaseMarginMs);
    if (!claimed) {
      const why = await unclaimable(deps.db, attemptId, deps.leaseMarginMs);
      if (why) {
        // Finish it through the sinks like any other attempt, so the contact is settled too (an
        // expired one by the retry policy, as a failed try). The id is stable: a redelivered job
        // emits the same event, which the sinks record once.
        const data =
          why === 'cancelled'
            ? { outcome: 'cancelled', sipStatus: null, reason: 'batch cancelled' }
            : { outcome: 'failed', sipStatus: null, reason: OWN_FAILURE_REASONS.expiredInQueue };
        await emitLogged(deps, [
          { ...newCallEvent('call.failed', attemptId, data), id: unclaimableEventId(attemptId) },
        ]);
      }
      deps.log.info({ attemptId }, 'dial.skipped_not_queued');
      return { status: 'skipped', reason: 'not_queued' };
    }
    const log = deps.log.child({ attemptId, batchId: claimed.batchId, orgId: claimed.orgId });
    const events = callEventsFor(deps, attemptId, startedAt);
    await events.emit('call.dialing', {
      roomName: claimed.roomName,
      attempt: claimed.attempt,
      telephony: deps.telephony.kind,
    });

    const campaign = campaignInputSchema.safeParse(claimed.campaignConfig);
    if (!campaign.success) {
      const reason = `campaign config invalid: ${campaign.error.message}`;
      log.error({ reason }, 'dial.campaign_invalid');
      await events.emit('call.failed', {
        roomName: claimed.roomName,
        outcome: 'failed',
        sipStatus: null,
        reason,
      });
      return { status: 'failed', outcome: 'failed' };
    }

    log.info({ phone: maskPhone(claimed.phone), telephony: deps.telephony.kind }, 'dial.start');
    const result = await deps.telephony.dial(dialRequest(claimed, campaign.data), events);
    if (result.kind === 'answered') {
      log.info({ roomName: result.roomName }, 'dial.answered');
      return { status: 'answered' };
    }
    log.info({ outcome: result.failure.outcome, sipStatus: result.failure.sipStatus }, 'dial.failed');
    return { status: 'failed', outcome: result.failure.outcome };
  };
}
