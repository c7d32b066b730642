// npm run bench:admission [-- --contacts N --seed S --naive-backoff-ms B --timeout-s T --half-rate R
//                             --dial-workers W --skip-naive]
// Admission under org and batch limits, outdial's design against the naive BullMQ one, on one
// private Redis (so INFO figures are ours alone) and fresh Postgres databases. Workload: N contacts
// in 50 batches across 5 orgs (org limits 20…200, batch limits 5…40, seeded; each batch's contacts in
// proportion to its fair share of slots), windows open, trunk CPS out of the way. Both designs
// finish calls with the same completion stub (claim queued →
// dialing, finish attempt and contact, release the slots, which wakes the scheduler).
//   outdial: contacts wait in Postgres; the real scheduler (startScheduler) admits them as `dial`
//            jobs only when slots are free.
//   naive:   every contact is a job up front (batch after batch, as uploads arrive); the worker takes
//            the same leases and, when full, `job.moveToDelayed(now + backoff, token)` +
//            `throw new DelayedError()`.
// Each design runs at full load (instant calls) on N and on 10k contacts (Redis memory at both),
// then at half load for refill latency: calls held (0.5–1.5× a mean, seeded) so that slots / mean
// hold = R calls/s (default 500, half the 1,000 calls/s target), counted after the ramp-up. Calls are taken by W dial workers (default 4, a small
// dialer fleet: BullMQ fetches one job after another per worker). Last stdout line:
// {"outdial": {…}, "naive": {…}}.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/core/config.js';
import { emitDurably, newCallEvent } from '../src/core/events.js';
import { createSlotLeases, type SlotLeases } from '../src/core/leases.js';
import { createLogger } from '../src/core/logger.js';
import { queueNames, queueOptions, type DialJob } from '../src/core/queues.js';
import { createRuntime, type Runtime } from '../src/core/runtime.js';
import { ensureRedis } from '../src/demo/local-services.js';
import { startScheduler } from '../src/schedulers/main.js';
import { createTestDatabase } from '../test/support/db.js';
import { dropPrefix, testPrefix } from '../test/support/redis.js';
import {
  CallObserver,
  commandCount,
  completionStub,
  jainFairness,
  maxMinShares,
  memorySampler,
  percentiles,
  seedWorkload,
  seededRandom,
  type OrgSpec,
} from './admission-support.js';

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    contacts: { type: 'string', default: '100000' },
    small: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '7' },
    'naive-backoff-ms': { type: 'string', default: '100' },
    'timeout-s': { type: 'string', default: '600' },
    'skip-naive': { type: 'boolean', default: false },
    // Half of the 1,000 calls/s target (issue 3: "refill p99 ≤ 50 ms at half that load").
    'half-rate': { type: 'string', default: '500' },
    // A dialer fleet: each worker fetches its jobs one after another (BullMQ), as each dialer
    // process does; several share the pickup as several dialer processes would.
    'dial-workers': { type: 'string', default: '4' },
    // The scheduler in its own process (as deployed) rather than in the bench's process.
    'scheduler-process': { type: 'boolean', default: true },
  },
});
const CONTACTS = Number(args.contacts);
const SMALL = Math.min(CONTACTS, Number(args.small));
const BACKOFF_MS = Number(args['naive-backoff-ms']);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const HALF_RATE = Number(args['half-rate']);
const DIAL_WORKERS = Number(args['dial-workers']);
/** Dial workers' concurrency in all: above every slot, so the stub never limits admission. */
const WORKER_CONCURRENCY = 1000;
const SYSTEM_LIMIT = 1000;
const ORG_LIMITS = [20, 65, 110, 155, 200];
const BATCHES_PER_ORG = 10;

const rand = seededRandom(Number(args.seed));
const BATCH_LIMITS = ORG_LIMITS.map(() =>
  Array.from({ length: BATCHES_PER_ORG }, () => 5 + Math.floor(rand() * 36)),
);
/** Concurrent calls the limits allow in all: Σ_org min(org limit, Σ its batch limits), capped by the system. */
const SLOTS = Math.min(
  SYSTEM_LIMIT,
  ORG_LIMITS.reduce(
    (s, l, i) =>
      s +
      Math.min(
        l,
        (BATCH_LIMITS[i] ?? []).reduce((a, b) => a + b, 0),
      ),
    0,
  ),
);

type Design = 'outdial' | 'naive';

interface PhaseResult {
  contacts: number;
  completed: number;
  seconds: number;
  admissionsPerSec: number;
  observer: CallObserver;
  orgs: OrgSpec[];
  redisPeakMemoryMb: number;
  redisCommandsPerCall: number;
  /** naive only: time to add every job up front (not in `seconds`). */
  enqueueSeconds?: number;
}

const silent = createLogger({ level: 'silent' });

/**
 * Contacts per batch, in proportion to the slots the limits give it (its max-min share of its
 * org), so that every batch drains at about the same time and the run measures the loop, not the
 * tail of the smallest org.
 */
function perBatch(n: number): number[] {
  const shares = ORG_LIMITS.flatMap((limit, i) => maxMinShares(limit, BATCH_LIMITS[i] ?? []));
  const total = shares.reduce((a, b) => a + b, 0);
  const out = shares.map((s) => Math.floor((n * s) / total));
  for (let i = 0, left = n - out.reduce((a, b) => a + b, 0); left > 0; i = (i + 1) % out.length, left--)
    out[i] = (out[i] ?? 0) + 1;
  return out;
}

/**
 * Drains call-events as the sinks would: each event's outbox row is deleted (in groups, like the
 * sinks' grouped transactions), so neither Redis nor the outbox piles up.
 */
function drainEvents(rt: Runtime): Worker {
  let pending: string[] = [];
  let flushing: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const ids = pending;
      pending = [];
      await rt.db.deleteFrom('event_outbox').where('id', 'in', ids).execute();
    }
  };
  const w = new Worker(
    queueNames.callEvents,
    async (job: Job) => {
      pending.push(job.id ?? '');
      flushing ??= flush().finally(() => {
        flushing = null;
      });
      await flushing;
    },
    { connection: rt.redis, prefix: rt.prefix, concurrency: 200 },
  );
  w.on('error', () => undefined); // a bench drain: errors would show as missing completions
  return w;
}

async function startOutdial(
  rt: Runtime,
  wrt: Runtime,
  stub: (attemptId: string) => Promise<void>,
  env: Record<string, string>,
) {
  const workers = Array.from(
    { length: DIAL_WORKERS },
    () =>
      new Worker<DialJob>(queueNames.dial, (job) => stub(job.data.attemptId), {
        connection: wrt.redis,
        prefix: wrt.prefix,
        concurrency: Math.ceil(WORKER_CONCURRENCY / DIAL_WORKERS),
      }),
  );
  const scheduler = args['scheduler-process'] ? await schedulerProcess(env) : await startScheduler(rt);
  return async () => {
    await scheduler.close();
    await Promise.all(workers.map((w) => w.close()));
  };
}

async function schedulerProcess(env: Record<string, string>): Promise<{ close(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./admission-scheduler-process.ts', import.meta.url)), {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`scheduler process exited (${code}) before it was ready`)));
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface NaiveJob {
  contactId: string;
  orgId: string;
  batchId: string;
  campaignId: string;
}

async function enqueueNaive(rt: Runtime, orgs: OrgSpec[]): Promise<Queue<NaiveJob>> {
  const queue = new Queue<NaiveJob>('naive-dial', queueOptions(rt.redis, rt.prefix));
  for (const b of orgs.flatMap((o) => o.batches)) {
    const ids = await sql<{
      id: string;
    }>`select id from contacts where batch_id = ${b.id} order by id`.execute(rt.db);
    for (let i = 0; i < ids.rows.length; i += 1000) {
      const chunk = ids.rows.slice(i, i + 1000);
      await queue.addBulk(
        chunk.map((c) => ({
          name: 'dial',
          data: { contactId: String(c.id), orgId: b.orgId, batchId: b.id, campaignId: b.campaignId },
        })),
      );
    }
  }
  return queue;
}

function startNaive(
  rt: Runtime,
  leases: SlotLeases,
  orgs: OrgSpec[],
  stub: (attemptId: string) => Promise<void>,
) {
  const limitOf = new Map(
    orgs.flatMap((o) => o.batches.map((b) => [b.id, { org: o.limit, batch: b.limit }] as const)),
  );
  const dial = async (job: Job<NaiveJob>, token?: string) => {
    const d = job.data;
    const attemptId = randomUUID();
    const lim = limitOf.get(d.batchId)!;
    const limits = { org: lim.org, batch: lim.batch, system: SYSTEM_LIMIT };
    if (!(await leases.acquire({ orgId: d.orgId, batchId: d.batchId, attemptId, limits, ttlMs: 390_000 }))) {
      await job.moveToDelayed(Date.now() + BACKOFF_MS, token);
      throw new DelayedError();
    }
    await sql`
      insert into attempts (id, org_id, campaign_id, batch_id, contact_id, attempt, status)
      values (${attemptId}, ${d.orgId}, ${d.campaignId}, ${d.batchId}, ${d.contactId}, 1, 'queued')`.execute(rt.db);
    // The same audit event outdial's admission records, so commands per call compare like with like.
    await emitDurably(rt.db, rt.queues.callEvents, [newCallEvent('call.queued', attemptId, { attempt: 1 })]);
    await stub(attemptId);
  };
  // The same fleet of workers as outdial's dialers.
  const workers = Array.from(
    { length: DIAL_WORKERS },
    () =>
      new Worker<NaiveJob>('naive-dial', dial, {
        connection: rt.redis,
        prefix: rt.prefix,
        concurrency: Math.ceil(WORKER_CONCURRENCY / DIAL_WORKERS),
      }),
  );
  return async () => {
    await Promise.all(workers.map((w) => w.close()));
  };
}

async function runPhase(
  redisUrl: string,
  info: Redis,
  design: Design,
  contacts: number,
  holdMs: number,
): Promise<PhaseResult> {
  const testDb = await createTestDatabase(`bench_${design}`);
  const prefix = testPrefix(`bench-${design}`);
  const env = {
    DATABASE_URL: testDb.url,
    REDIS_URL: redisUrl,
    OUTDIAL_REDIS_PREFIX: prefix,
    OUTDIAL_MAX_ACTIVE_CALLS: String(SYSTEM_LIMIT),
    LOG_LEVEL: 'silent',
  };
  const config = loadConfig(env);
  // The scheduler and the "dialer" (stub, event drain, naive worker) get a runtime each, as separate
  // processes would: their own Postgres pool and Redis connections.
  const rt = createRuntime(config, { log: silent, poolMax: 10 });
  const wrt = createRuntime(config, { log: silent, poolMax: 20 });
  const orgs = await seedWorkload(rt.db, {
    orgLimits: ORG_LIMITS,
    batchLimits: BATCH_LIMITS,
    perBatch: perBatch(contacts),
  });
  const limits = {
    org: new Map(orgs.map((o) => [o.id, o.limit])),
    batch: new Map(orgs.flatMap((o) => o.batches.map((b) => [b.id, b.limit]))),
    system: SYSTEM_LIMIT,
  };
  const leases = createSlotLeases(wrt.redis, wrt.keys);
  const naiveQueue = design === 'naive' ? await timed(() => enqueueNaive(wrt, orgs)) : null;

  const stopMemory = memorySampler(info);
  const commands0 = await commandCount(info);
  // Held calls last 0.5–1.5× the mean (seeded), so slots free up spread out as real calls end,
  // not in waves; refill latency counts from the third mean hold on (steady state).
  const holdRand = seededRandom(Number(args.seed) + contacts);
  const observer = new CallObserver(limits, holdMs * 3);
  const stub = completionStub(wrt.db, leases, observer, () => (holdMs === 0 ? 0 : Math.round(holdMs * (0.5 + holdRand()))));
  const events = drainEvents(wrt);
  const stop = design === 'outdial' ? await startOutdial(rt, wrt, stub, env) : startNaive(wrt, leases, orgs, stub);
  // From the moment admission can begin (a scheduler process's start-up is not admission time).
  const t0 = performance.now();
  const deadline = Date.now() + TIMEOUT_MS;
  while (observer.finished < contacts && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  const commands = (await commandCount(info)) - commands0;
  const redisPeakMemoryMb = await stopMemory();

  await stop();
  await events.close();
  await naiveQueue?.value.close();
  await wrt.close();
  await rt.close();
  await testDb.drop();
  await dropPrefix(prefix, redisUrl);
  const completed = observer.finished;
  return {
    contacts,
    completed,
    seconds: round(seconds),
    admissionsPerSec: round(completed / seconds),
    observer,
    orgs,
    redisPeakMemoryMb,
    redisCommandsPerCall: round(commands / Math.max(1, completed)),
    ...(naiveQueue ? { enqueueSeconds: round(naiveQueue.seconds) } : {}),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t) / 1000 };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Jain's index over the smallest org's batches, counted while every one of them still had contacts. */
function fairness(r: PhaseResult): number {
  const org = [...r.orgs].sort((a, b) => a.limit - b.limit)[0]!;
  const starts = org.batches.map((b) => r.observer.startsByBatch.get(b.id) ?? []);
  // Up to the moment the first of them ran out of contacts (a batch never drained counts to the end).
  const until = Math.min(
    ...starts.map((s, i) =>
      s.length >= (org.batches[i]?.contacts ?? 0) ? (s[s.length - 1] ?? 0) : Infinity,
    ),
  );
  const got = starts.map((s) => s.filter((t) => t <= until).length);
  return jainFairness(
    got,
    maxMinShares(
      org.limit,
      org.batches.map((b) => b.limit),
    ),
  );
}

function summary(full: PhaseResult, small: PhaseResult, half: PhaseResult, holdMs: number) {
  const o = full.observer;
  const batches = full.orgs.flatMap((x) => x.batches);
  const ratios = batches.map((b) => (o.maxBatch.get(b.id) ?? 0) / b.limit);
  const fullRefill = percentiles(o.refill);
  const halfRefill = percentiles(half.observer.refill);
  return {
    contacts: full.contacts,
    completed: full.completed,
    seconds: full.seconds,
    admissionsPerSec: full.admissionsPerSec,
    maxOrgConcurrencySeen: full.orgs.map((x) => ({ seen: o.maxOrg.get(x.id) ?? 0, limit: x.limit })),
    maxBatchConcurrencySeen: {
      highestSeenOverLimit: round(Math.max(...ratios)),
      batchesThatReachedTheirLimit: ratios.filter((x) => x >= 1).length,
      batches: batches.length,
      seenPerLimit: batches.map((b) => `${o.maxBatch.get(b.id) ?? 0}/${b.limit}`).join(' '),
    },
    maxSystemConcurrencySeen: { seen: o.maxSystem, limit: SYSTEM_LIMIT, slotsTheLimitsAllow: SLOTS },
    violations: o.violations + small.observer.violations + half.observer.violations,
    redisPeakMemoryMb: full.redisPeakMemoryMb,
    redisPeakMemoryMbAtSmall: small.redisPeakMemoryMb,
    smallContacts: small.contacts,
    memoryGrowthSmallToFull: round(full.redisPeakMemoryMb / Math.max(0.01, small.redisPeakMemoryMb) - 1),
    redisCommandsPerCall: full.redisCommandsPerCall,
    refillLatencyMsP50: halfRefill.p50,
    refillLatencyMsP99: halfRefill.p99,
    halfLoad: {
      holdMs,
      contacts: half.contacts,
      completed: half.completed,
      callsPerSec: half.admissionsPerSec,
      refillSamples: halfRefill.samples,
    },
    refillLatencyFullLoadMsP50: fullRefill.p50,
    refillLatencyFullLoadMsP99: fullRefill.p99,
    jainFairness: fairness(full),
    ...(full.enqueueSeconds === undefined ? {} : { enqueueSeconds: full.enqueueSeconds }),
  };
}

async function runDesign(redisUrl: string, info: Redis, design: Design, halfHoldMs?: number) {
  const log = (msg: string) => process.stderr.write(`[${design}] ${msg}\n`);
  const full = await runPhase(redisUrl, info, design, CONTACTS, 0);
  log(`full: ${full.completed}/${full.contacts} in ${full.seconds}s (${full.admissionsPerSec}/s)`);
  const small = await runPhase(redisUrl, info, design, SMALL, 0);
  log(`small: ${small.completed}/${small.contacts} in ${small.seconds}s, ${small.redisPeakMemoryMb} MB peak`);
  // Half load: hold each call so the slots turn over at HALF_RATE calls/s (default: half the 1,000/s target).
  const holdMs = halfHoldMs ?? Math.round((SLOTS / HALF_RATE) * 1000);
  // Twenty turns of every slot, so the steady state outweighs the ramp-up and the tail.
  const halfContacts = SLOTS * 20;
  const half = await runPhase(redisUrl, info, design, halfContacts, holdMs);
  log(
    `half: ${half.completed}/${half.contacts} in ${half.seconds}s (${half.admissionsPerSec}/s, hold ${holdMs} ms)`,
  );
  return { result: summary(full, small, half, holdMs), holdMs };
}

async function main() {
  // An unreachable URL makes ensureRedis start a throwaway redis-server on a free port.
  const redis = await ensureRedis('redis://127.0.0.1:1');
  const info = new Redis(redis.url);
  try {
    process.stderr.write(`slots the limits allow: ${SLOTS}; batch limits ${JSON.stringify(BATCH_LIMITS)}\n`);
    const outdial = await runDesign(redis.url, info, 'outdial');
    const naive = args['skip-naive'] ? null : await runDesign(redis.url, info, 'naive', outdial.holdMs);
    // The host is shared: its load average says how far the figures are from an idle machine's.
    const host = { cpus: cpus().length, loadAverage: loadavg().map((x) => round(x)) };
    process.stdout.write(
      `${JSON.stringify({ outdial: outdial.result, naive: naive?.result ?? null, host })}\n`,
    );
  } finally {
    info.disconnect();
    await redis.stop();
  }
}

await main();
