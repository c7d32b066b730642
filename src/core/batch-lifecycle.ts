// The batch state machine as a pure table: which action moves which status where, and which
// event (if any) announces it. The API (start/pause/resume/cancel), the scheduler (activate a
// scheduled batch whose startAt has come) and the sinks (complete, circuit-breaker pause) all
// ask this one function, then apply the answer with a guarded update (`where status = from`).
import type { BatchStatus, EventType } from './domain.js';

export const batchActions = ['start', 'pause', 'resume', 'cancel', 'activate', 'complete', 'trip'] as const;
/**
 * start/pause/resume/cancel: the API. activate: the scheduler, once startAt has passed.
 * complete: sinks, when no contact is left to call. trip: sinks' circuit breaker (auto-pause).
 */
export type BatchAction = (typeof batchActions)[number];

/** The actions an API client may ask for (POST /v1/batches/:id/<action>, `outdial batch <action>`). */
export const clientBatchActions = ['start', 'pause', 'resume', 'cancel'] as const satisfies readonly BatchAction[];

export type BatchTransition =
  | { ok: true; from: BatchStatus; to: BatchStatus; event: EventType | null }
  | { ok: false; from: BatchStatus; reason: string };

/** Batches in these statuses never change again. */
export function isTerminalBatchStatus(status: BatchStatus): boolean {
  return status === 'completed' || status === 'cancelled';
}

function startsLater(startAt: Date | null, now: Date): boolean {
  return startAt !== null && startAt.getTime() > now.getTime();
}

function refuse(from: BatchStatus, action: BatchAction): BatchTransition {
  return { ok: false, from, reason: `cannot ${action} a batch that is ${from}` };
}

/**
 * Where `action` takes a batch in status `from`. A start or resume with a future startAt
 * lands in `scheduled` and announces nothing yet: `batch.started` comes with `activate`.
 */
export function batchTransition(
  from: BatchStatus,
  action: BatchAction,
  ctx: { now: Date; startAt: Date | null },
): BatchTransition {
  const later = startsLater(ctx.startAt, ctx.now);
  switch (action) {
    case 'start':
      if (from !== 'draft') return refuse(from, action);
      return later
        ? { ok: true, from, to: 'scheduled', event: null }
        : { ok: true, from, to: 'running', event: 'batch.started' };
    case 'activate':
      if (from !== 'scheduled' || later) return refuse(from, action);
      return { ok: true, from, to: 'running', event: 'batch.started' };
    case 'pause':
    case 'trip':
      if (from !== 'running' && from !== 'scheduled') return refuse(from, action);
      return { ok: true, from, to: 'paused', event: 'batch.paused' };
    case 'resume':
      if (from !== 'paused') return refuse(from, action);
      return { ok: true, from, to: later ? 'scheduled' : 'running', event: 'batch.resumed' };
    case 'cancel':
      if (isTerminalBatchStatus(from)) return refuse(from, action);
      return { ok: true, from, to: 'cancelled', event: 'batch.cancelled' };
    case 'complete':
      if (from !== 'running' && from !== 'paused') return refuse(from, action);
      return { ok: true, from, to: 'completed', event: 'batch.completed' };
    default: {
      const never: never = action;
      throw new Error(`unhandled batch action: ${String(never)}`);
    }
  }
}
