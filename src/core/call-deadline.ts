// How long an attempt may stay open: ring timeout + longest call + a margin, counted from the start
// of dialling (from queueing while it has not begun: a call that waited in the dial queue is not
// stuck). The lease TTL (admission), the stuck deadline (reconciler) and the stuck gauge (metrics)
// all read it here, in TypeScript or as SQL over a campaigns row.
import { sql, type RawBuilder } from 'kysely';
import { callLimitDefaults } from './campaign.js';
import type { Config } from './config.js';
import { leaseMarginMs } from './leases.js';

export interface CallLimits {
  ringTimeoutSeconds: number;
  maxCallSeconds: number;
}

/**
 * The margin past ring + longest call: the lease margin, plus, with LiveKit, the longest wait for
 * the agent to join before the callee is dialled (the dialer dials only once the agent is in the
 * room, and that wait counts from the start of dialling). Without it a call whose agent was slow
 * to join was failed as stuck while it was still up, and its contact called again at once.
 */
export function callMarginMs(
  config: Pick<Config, 'OUTDIAL_LEASE_MARGIN_SECONDS' | 'OUTDIAL_TELEPHONY' | 'OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS'>,
): number {
  const agentJoin = config.OUTDIAL_TELEPHONY === 'livekit' ? config.OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS * 1000 : 0;
  return leaseMarginMs(config) + agentJoin;
}

export function callDeadlineMs(limits: CallLimits, marginMs: number): number {
  return (limits.ringTimeoutSeconds + limits.maxCallSeconds) * 1000 + marginMs;
}

/** One of a campaign's call limits in SQL, from the campaigns row aliased `campaign` (its default when unset). */
export function callLimitSql(campaign: string, limit: keyof CallLimits): RawBuilder<number> {
  return sql<number>`coalesce((${sql.ref(`${campaign}.config`)}->>${sql.lit(limit)})::int, ${sql.lit(callLimitDefaults[limit])})`;
}

/** `callDeadlineMs` in SQL (bigint ms), from the campaigns row aliased `campaign`. */
export function callDeadlineSql(campaign: string, marginMs: number): RawBuilder<number> {
  const ring = callLimitSql(campaign, 'ringTimeoutSeconds');
  const maxCall = callLimitSql(campaign, 'maxCallSeconds');
  return sql<number>`((${ring} + ${maxCall}) * 1000 + ${sql.lit(Math.round(marginMs))})::bigint`;
}

/** Milliseconds (bigint) the attempt row aliased `attempt` has been open, by the clock of `callDeadline`. */
export function callAgeSql(attempt: string): RawBuilder<number> {
  const started = sql.ref(`${attempt}.started_at`);
  const queued = sql.ref(`${attempt}.queued_at`);
  return sql<number>`(extract(epoch from now() - coalesce(${started}, ${queued})) * 1000)::bigint`;
}
