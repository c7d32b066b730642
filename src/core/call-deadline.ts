// How long an attempt may stay open: ring timeout + longest call + a margin, counted from the start
// of dialling (from queueing while it has not begun: a call that waited in the dial queue is not
// stuck). The lease TTL (admission), the stuck deadline (reconciler) and the stuck gauge (metrics)
// all read it here, in TypeScript or as SQL over a campaigns row.
import { sql, type RawBuilder } from 'kysely';
import { callLimitDefaults } from './campaign.js';

export interface CallLimits {
  ringTimeoutSeconds: number;
  maxCallSeconds: number;
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
