// The /metrics handler every role serves: the process registry, BullMQ's gauges for every queue,
// and the gauges that are cheapest to read from Postgres at scrape time (calls in flight per org,
// the limits of orgs that are calling, stuck attempts). Those three queries over the
// open-attempts partial index run at most once per SCRAPE_CACHE_MS per process, however many
// scrapers ask (concurrent scrapes share the one in flight); each scrape still costs one Redis
// round trip per queue. With several roles scraped, dashboards take max() over instances.
// The series name org ids: with OUTDIAL_METRICS_TOKEN set, only a scraper sending it as a bearer
// token gets them.
import type { RequestHandler } from 'express';
import { sql } from 'kysely';
import { callAgeSql, callDeadlineSql, callMarginMs } from './call-deadline.js';
import type { Db } from './db/client.js';
import { UnauthorizedError } from './errors.js';
import { outdialMetrics, renderMetrics } from './metrics-catalog.js';
import { allQueues } from './queue-set.js';
import type { Runtime } from './runtime.js';
import { bearerCredential, constantTimeEqual } from './secrets.js';
import { withTimeout } from './timeout.js';

const SCRAPE_PART_TIMEOUT_MS = 3000;
/** How long scrape-time query results are reused: below any sane scrape interval, above a burst of scrapers. */
export const SCRAPE_CACHE_MS = 5000;

/** Beyond its call deadline (core/call-deadline.ts), an attempt has this long to be closed before it counts as stuck. */
export const STUCK_MARGIN_SECONDS = 600;

/** Open attempts past their call deadline by `marginMs`: ones the reconciler should have failed and did not. */
export async function countStuckAttempts(db: Db, marginMs = STUCK_MARGIN_SECONDS * 1000): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n
      from attempts a
      join campaigns c on c.id = a.campaign_id
     where a.status <> 'finished'
       and ${callAgeSql('a')} > ${callDeadlineSql('c', marginMs)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

export async function refreshScrapeGauges(rt: Runtime): Promise<void> {
  const m = outdialMetrics(rt.registry);
  m.maxActiveCalls.set(rt.config.OUTDIAL_MAX_ACTIVE_CALLS);
  const [stuck, limits, active] = await Promise.all([
    countStuckAttempts(rt.db, callMarginMs(rt.config) + STUCK_MARGIN_SECONDS * 1000),
    sql<{ id: string; max_concurrency: number }>`
      select o.id, o.max_concurrency from orgs o
       where exists (select 1 from batches b where b.org_id = o.id and b.status = 'running')`.execute(rt.db),
    // An open attempt holds a slot from admission until sinks close it: the calls in flight.
    sql<{ org_id: string; n: string }>`
      select org_id, count(*) as n from attempts where status <> 'finished' group by org_id`.execute(rt.db),
  ]);
  m.attemptsStuck.set(stuck);
  // Reset first so an org that stopped calling drops out instead of keeping a stale series;
  // orgs with a running batch and nothing in flight show 0.
  m.orgConcurrencyLimit.reset();
  m.activeCalls.reset();
  for (const row of limits.rows) {
    m.orgConcurrencyLimit.set({ org: row.id }, row.max_concurrency);
    m.activeCalls.set({ org: row.id }, 0);
  }
  for (const row of active.rows) m.activeCalls.set({ org: row.org_id }, Number(row.n));
}

/**
 * `work` run at most once per `ttlMs`: calls within the window after a success share its result,
 * calls while it runs share the run in flight. A failure is not reused: the next call runs again.
 */
export function reuseFor<T>(work: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let last: { startedAt: number; settled: boolean; result: Promise<T> } | undefined;
  return () => {
    if (last && (!last.settled || now() - last.startedAt < ttlMs)) return last.result;
    const entry = { startedAt: now(), settled: false, result: work() };
    last = entry;
    entry.result.then(
      () => {
        entry.settled = true;
      },
      () => {
        if (last === entry) last = undefined;
      },
    );
    return entry.result;
  };
}

export interface MetricsHandlerOptions {
  /** Reuse of scrape-time query results; default SCRAPE_CACHE_MS (0 queries on every scrape). */
  cacheMs?: number;
  /** Clock of that reuse (tests). */
  now?: () => number;
  /** False for a role without a database (the agent): no scrape-time Postgres queries. */
  databaseGauges?: boolean;
}

/** GET /metrics. A failing Postgres or Redis still yields the process metrics, so the scrape itself never goes dark. */
export function metricsHandler(rt: Runtime, opts: MetricsHandlerOptions = {}): RequestHandler {
  const token = rt.config.OUTDIAL_METRICS_TOKEN;
  const refreshGauges = reuseFor(() => refreshScrapeGauges(rt), opts.cacheMs ?? SCRAPE_CACHE_MS, opts.now);
  return (req, res, next) => {
    if (token !== undefined && !constantTimeEqual(bearerCredential(req.get('authorization')) ?? '', token)) {
      // Answered here: the roles without the API have no error middleware on this server.
      const e = new UnauthorizedError('metrics need the bearer token OUTDIAL_METRICS_TOKEN');
      res.status(e.status).setHeader('www-authenticate', 'Bearer').json({ error: { code: e.code, message: e.message } });
      return;
    }
    const render = async () => {
      try {
        if (opts.databaseGauges !== false) await withTimeout(refreshGauges(), SCRAPE_PART_TIMEOUT_MS, 'db gauges');
      } catch (err) {
        rt.log.warn({ err: (err as Error).message }, 'metrics.db_gauges_failed');
      }
      let body: string;
      try {
        const queues = rt.redis.status === 'ready' ? allQueues(rt) : [];
        body = await withTimeout(renderMetrics(rt.registry, queues), SCRAPE_PART_TIMEOUT_MS, 'queue gauges');
      } catch (err) {
        rt.log.warn({ err: (err as Error).message }, 'metrics.queue_gauges_failed');
        body = await rt.registry.metrics();
      }
      res.type(rt.registry.contentType).send(body);
    };
    render().catch(next);
  };
}
