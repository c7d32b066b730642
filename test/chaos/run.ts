// `npm run test:chaos [-- --short] [--contacts N] [--seed S] [--load N]`: the chaos run (issue 9).
// Private Postgres and Redis, seeded contacts, two or more processes of every role on the Sim
// adapter (started from dist/, built once), and faults while they work: SIGKILLs every few seconds,
// one Redis FLUSHALL, one Postgres restart, a webhook receiver outage; `--load N` adds N processes
// spinning on the CPU. Then the verdict from Postgres, the Sim's call log and the receiver, and for
// every contact found lost or dialled twice its whole trail (diagnose.ts). Last stdout line:
// {contacts, kills, redisFlushes, pgRestarts, doubleDials, lostContacts, limitViolations,
// webhooksMissing, unsettledContacts, load}; exit code 1 on harm, 3 when the run proves less than
// it should (a fault missing, contacts still unsettled at the deadline).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, type Db } from '../../src/core/db/client.js';
import { migrateToLatest } from '../../src/core/db/migrate.js';
import { newWebhookSecret } from '../../src/core/secrets.js';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/demo/webhook-receiver.js';
import { readPlacedCallLogs } from '../../src/dialer/sim/placed-call-log.js';
import { callDeadlineMs } from '../../src/core/call-deadline.js';
import { buildRoles } from './build.js';
import { checkRun, type Verdict } from './checks.js';
import { diagnoseLostResults, diagnoseMissingDeliveries, diagnoseStuck, explainContacts } from './diagnose.js';
import { faultSchedule, type Fault, type RoleName } from './fault-schedule.js';
import { fullForm, shortForm, type ChaosForm } from './forms.js';
import { startFleet, type ProcessFleet } from './processes.js';
import { startCpuLoad } from './load.js';
import { completedTracker, contactProgress, settled, type ContactProgress } from './progress.js';
import { LEASE_MARGIN_SECONDS, roleEnv } from './role-env.js';
import { callLimits, seedWorld } from './seed.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './services.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Fresh per run, and strong enough for the secrets policy (src/core/secret-policy.ts).
const ENCRYPTION_KEY = randomBytes(32).toString('base64url');
const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const PREFIX = 'chaos';
const WEBHOOK_GRACE_MS = 5 * 60_000;
/** Contacts explained in full per kind of harm (the counts cover them all). */
const EXPLAIN_AT_MOST = 20;

interface Options {
  form: ChaosForm;
  seed: number;
  keep: boolean;
  logLevel: string;
  /** Busy-looping processes beside the roles for the whole run. */
  load: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      short: { type: 'boolean', default: false },
      contacts: { type: 'string' },
      seed: { type: 'string' },
      processes: { type: 'string' },
      deadline: { type: 'string' },
      keep: { type: 'boolean', default: false },
      load: { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const base = values.short ? shortForm : fullForm;
  const int = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} expects a positive integer, got ${text}`);
    return n;
  };
  const perRole = int(values.processes, 'processes');
  const deadlineS = int(values.deadline, 'deadline');
  const form: ChaosForm = {
    ...base,
    contacts: int(values.contacts, 'contacts') ?? base.contacts,
    processes: perRole ? { api: perRole, scheduler: perRole, dialer: perRole, sinks: perRole } : base.processes,
    deadlineMs: deadlineS ? deadlineS * 1000 : base.deadlineMs,
  };
  return {
    form,
    seed: int(values.seed, 'seed') ?? Math.floor(Math.random() * 2 ** 31),
    keep: values.keep,
    logLevel: values['log-level'],
    load: values.load === '0' ? 0 : (int(values.load, 'load') ?? 0),
  };
}

const say = (msg: string): void => {
  process.stderr.write(`chaos ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
};

/** Waits until `at` (a scheduled fault time, not a result) or until aborted. */
function until(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, at - Date.now()));
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

interface FaultCounts {
  kills: number;
  skippedKills: number;
  redisFlushes: number;
  pgRestarts: number;
  receiverOutages: number;
}

interface FaultRunner {
  counts: FaultCounts;
  /** True once every one-off fault has happened and its service is back. */
  oneOffsDone(): boolean;
  stopKills(): void;
  /** Stops firing and waits for what is under way (restarts included). */
  finish(): Promise<void>;
}

function runFaults(
  schedule: readonly Fault[],
  t0: number,
  deps: { fleet: ProcessFleet; pg: PrivatePostgres; redis: PrivateRedis; receiver: WebhookReceiver; processes: Record<RoleName, number> },
): FaultRunner {
  const counts: FaultCounts = { kills: 0, skippedKills: 0, redisFlushes: 0, pgRestarts: 0, receiverOutages: 0 };
  const abort = new AbortController();
  const underway = new Set<Promise<void>>();
  let killsStopped = false;
  let oneOffsLeft = schedule.filter((f) => f.kind !== 'kill').length;

  const track = (what: string, work: () => Promise<void>): void => {
    const p: Promise<void> = work()
      .catch((err: unknown) => say(`fault ${what} failed: ${(err as Error).message}`))
      .finally(() => underway.delete(p));
    underway.add(p);
  };

  const kill = async (f: Extract<Fault, { kind: 'kill' }>): Promise<void> => {
    // The scheduled process, or the next running one of the same role.
    const n = deps.processes[f.role];
    for (let k = 0; k < n; k++) {
      const index = (f.index + k) % n;
      if (await deps.fleet.kill(f.role, index)) {
        counts.kills += 1;
        say(`SIGKILL ${f.role}#${index}; restart in ${f.restartAfterMs} ms`);
        await new Promise((r) => setTimeout(r, f.restartAfterMs));
        deps.fleet.restart(f.role, index);
        return;
      }
    }
    counts.skippedKills += 1;
  };

  const fire = (f: Fault): void => {
    switch (f.kind) {
      case 'kill':
        if (!killsStopped) track('kill', () => kill(f));
        return;
      case 'redis_flush':
        track('redis_flush', async () => {
          await deps.redis.flushAll();
          counts.redisFlushes += 1;
          oneOffsLeft -= 1;
          say('Redis FLUSHALL');
        });
        return;
      case 'pg_restart':
        track('pg_restart', async () => {
          say(`Postgres immediate shutdown, down ${f.downMs} ms`);
          await deps.pg.restart(f.downMs);
          counts.pgRestarts += 1;
          oneOffsLeft -= 1;
          say('Postgres back');
        });
        return;
      case 'receiver_down':
        track('receiver_down', async () => {
          say(`webhook receiver down for ${f.downMs} ms`);
          deps.receiver.setDown(true);
          await new Promise((r) => setTimeout(r, f.downMs));
          deps.receiver.setDown(false);
          counts.receiverOutages += 1;
          oneOffsLeft -= 1;
          say('webhook receiver up');
        });
        return;
    }
  };

  const loop = (async () => {
    for (const f of schedule) {
      await until(t0 + f.at, abort.signal);
      if (abort.signal.aborted) return;
      fire(f);
    }
  })();

  return {
    counts,
    oneOffsDone: () => oneOffsLeft === 0,
    stopKills: () => {
      killsStopped = true;
    },
    async finish() {
      killsStopped = true;
      abort.abort();
      await loop;
      while (underway.size > 0) await Promise.all([...underway]);
    },
  };
}

/** Polls (with a deadline) until some attempt exists. */
async function firstActivity(db: Db, deadline: number): Promise<void> {
  for (;;) {
    const row = await db.selectFrom('attempts').select('id').limit(1).executeTakeFirst();
    if (row) return;
    if (Date.now() > deadline) throw new Error('no call was admitted within 180 s of starting the roles');
    await new Promise((r) => setTimeout(r, 250));
  }
}

function describe(p: ContactProgress, unseen: number): string {
  return `contacts ${p.finished} finished + ${p.waiting} waiting / ${p.total}; ${p.inProgress} in progress, ${p.due} due, ${p.openAttempts} open attempts; ${unseen} call.completed not yet received`;
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const { form, seed } = opts;
  say(`form ${form.name}, ${form.contacts} contacts, seed ${seed} (repeat with --seed ${seed})`);
  const runDir = mkdtempSync(join(tmpdir(), 'outdial-chaos-'));
  const callsDir = join(runDir, 'calls');
  say(`run directory ${runDir} (role logs in logs/, Sim call logs in calls/)`);

  const cleanups: (() => Promise<void> | void)[] = [];
  let fleet: ProcessFleet | null = null;
  let failed = true;
  const cleanup = async (): Promise<void> => {
    fleet?.killAllNow();
    for (let f = cleanups.pop(); f; f = cleanups.pop()) {
      try {
        await f();
      } catch (err) {
        say(`cleanup: ${(err as Error).message}`);
      }
    }
    if (!failed && !opts.keep) rmSync(runDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping children and private servers`);
    cleanup()
      .catch((err: unknown) => say(`cleanup failed: ${(err as Error).message}`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Whatever happens, no child outlives the harness.
  process.once('exit', () => fleet?.killAllNow());

  try {
    say('building dist/ (roles start from compiled JavaScript)');
    const entry = buildRoles(root);
    if (opts.load > 0) {
      // Bounded by the run's own bounds: deadline, webhook grace and start-up on top.
      const load = startCpuLoad(opts.load, form.deadlineMs + WEBHOOK_GRACE_MS + 10 * 60_000);
      cleanups.push(() => load.stop());
      process.once('exit', () => load.stop());
      say(`${load.processes} busy-looping processes started`);
    }
    const pg = await startPrivatePostgres();
    cleanups.push(() => pg.stop());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    cleanups.push(() => receiver.close());
    say(`private postgres :${pg.port}, redis :${redis.port}, receiver ${receiver.url}`);

    const { db } = createDb(pg.url, { max: 4 });
    cleanups.push(() => db.destroy());
    await migrateToLatest(db);
    const world = await seedWorld(db, {
      seed,
      contacts: form.contacts,
      orgs: form.orgs,
      maxAttempts: form.maxAttempts,
      webhookUrl: receiver.url,
      webhookSecret: secret,
      encryptionKey: ENCRYPTION_KEY,
      trunkCps: form.trunkCps,
    });
    say(`seeded ${world.contacts} contacts in ${world.batchLimits.size} batches of ${world.orgLimits.size} orgs`);

    const apiPorts = await Promise.all(Array.from({ length: form.processes.api }, () => freeLoopbackPort()));
    fleet = startFleet({
      root,
      entry,
      logDir: join(runDir, 'logs'),
      processes: form.processes,
      crashRestartMs: 1_000,
      env: (role, index) =>
        roleEnv(role, {
          databaseUrl: pg.url,
          redisUrl: redis.url,
          prefix: PREFIX,
          port: apiPorts[index] ?? 0,
          encryptionKey: ENCRYPTION_KEY,
          adminToken: ADMIN_TOKEN,
          logLevel: opts.logLevel,
          simSeed: seed,
          simTimeScale: form.simTimeScale,
          callsDir,
        }),
      onCrash: (e) => say(`${e.role}#${e.index} (pid ${e.pid}) exited on its own (code ${e.code}, signal ${e.signal}); restarting`),
    });
    // The fault clock starts with the first admitted call, not at spawn: processes take a while to
    // start on a loaded machine, and a FLUSHALL before any work exists would prove nothing.
    await firstActivity(db, Date.now() + 180_000);
    const t0 = Date.now();
    say('first call admitted; fault clock starts');
    const schedule = faultSchedule({ ...form.faults, seed, processes: form.processes }, form.deadlineMs);
    const faults = runFaults(schedule, t0, { fleet, pg, redis, receiver, processes: form.processes });

    const tracker = completedTracker();
    let lastSay = 0;
    let timedOut = false;
    let settledAt: number | null = null;
    for (;;) {
      let progress: ContactProgress | null = null;
      let unseen = Number.POSITIVE_INFINITY;
      try {
        progress = await contactProgress(db);
        unseen = await tracker.poll(db, receiver.events);
      } catch (err) {
        // Postgres is allowed to be away (the restart fault); the next poll tries again.
        if (Date.now() - lastSay > 5_000) say(`progress unavailable: ${(err as Error).message}`);
      }
      const contactsDone = progress !== null && settled(progress);
      if (contactsDone) faults.stopKills();
      if (contactsDone && unseen === 0 && faults.oneOffsDone()) break;
      settledAt = contactsDone ? (settledAt ?? Date.now()) : null;
      // Webhook retries back off to about 80 s and the sweep runs every 30 s: five quiet minutes
      // after the contacts settled, a delivery still missing is not coming.
      if (settledAt !== null && faults.oneOffsDone() && Date.now() - settledAt > WEBHOOK_GRACE_MS) {
        say(`contacts settled ${Math.round(WEBHOOK_GRACE_MS / 1000)} s ago; ${unseen} call.completed still not received, giving up on them`);
        break;
      }
      if (Date.now() - t0 > form.deadlineMs) {
        timedOut = true;
        say('deadline reached before every contact settled and every webhook arrived');
        break;
      }
      if (progress && Date.now() - lastSay > 5_000) {
        lastSay = Date.now();
        say(`${Math.round((Date.now() - t0) / 1000)} s: ${describe(progress, unseen)}`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const elapsedMs = Date.now() - t0;
    await faults.finish();
    say(`settled after ${Math.round(elapsedMs / 1000)} s; stopping roles`);
    const rolesStoppedAt = Date.now();
    // Nothing new is admitted or dialled, calls in flight end, then the sinks record what they sent.
    await fleet.stopAll(15_000, [['api', 'scheduler'], ['dialer'], ['sinks']]);

    const calls = readPlacedCallLogs(callsDir);
    const verdict = await checkRun({
      db,
      calls,
      processEvents: fleet.events,
      received: receiver.events,
      orgLimits: world.orgLimits,
      batchLimits: world.batchLimits,
      maxAttempts: form.maxAttempts,
      checkedAt: Date.now(),
      rolesStoppedAt,
      stuckDeadlineMs: callDeadlineMs(callLimits, LEASE_MARGIN_SECONDS * 1000),
    });
    const crashes = fleet.events.filter((e) => e.kind === 'crashed');
    const { notReceivedIds, simCompletedIds, ...details } = verdict.details;
    await explainHarm(verdict, calls, (ids) => explainContacts(db, redis.url, PREFIX, ids), runDir);
    const missingDeliveries = await diagnoseMissingDeliveries(db, redis.url, PREFIX, notReceivedIds.slice(0, 10));
    const lostResults = await diagnoseLostResults(db, simCompletedIds);
    const stuck = await diagnoseStuck(db, new Set(calls.filter((l) => l.k === 'start').map((l) => l.attemptId)));
    const c = faults.counts;
    console.log(
      JSON.stringify({
        details: {
          form: form.name,
          seed,
          elapsedMs,
          timedOut,
          skippedKills: c.skippedKills,
          receiverOutages: c.receiverOutages,
          crashes: crashes.map((e) => `${e.role}#${e.index} code ${e.code}`),
          receiver: receiver.stats,
          ...details,
          lostResults,
          stuck,
          missingDeliveries,
        },
      }),
    );
    const summary = {
      contacts: world.contacts,
      kills: c.kills,
      redisFlushes: c.redisFlushes,
      pgRestarts: c.pgRestarts,
      doubleDials: verdict.doubleDials,
      lostContacts: verdict.lostContacts,
      limitViolations: verdict.limitViolations,
      webhooksMissing: verdict.webhooksMissing,
      unsettledContacts: verdict.unsettledContacts,
      load: opts.load,
    };
    const harm = verdict.doubleDials + verdict.lostContacts + verdict.limitViolations + verdict.webhooksMissing;
    const incomplete = c.kills === 0 || c.redisFlushes === 0 || c.pgRestarts === 0 || c.receiverOutages === 0;
    if (incomplete) say('not every fault happened: the run proves less than it should');
    if (verdict.unsettledContacts > 0) say(`${verdict.unsettledContacts} contacts still unsettled (not lost): the run ended before they could finish`);
    if (harm > 0) say(`harm found; logs kept in ${runDir}`);
    failed = harm > 0 || incomplete || verdict.unsettledContacts > 0;
    console.log(JSON.stringify(summary));
    return harm > 0 ? 1 : failed ? 3 : 0;
  } finally {
    await cleanup();
  }
}

/**
 * Prints (stderr) and keeps (explanations.json in the run directory) the whole trail of each
 * contact found lost or dialled twice, and of a few still unsettled when the run ended.
 */
async function explainHarm(
  verdict: Verdict,
  calls: ReturnType<typeof readPlacedCallLogs>,
  explain: (ids: readonly string[]) => ReturnType<typeof explainContacts>,
  runDir: string,
): Promise<void> {
  const twice = new Set(verdict.details.attemptsPlacedTwice);
  const dialledTwice = [...new Set(calls.flatMap((c) => (c.k === 'start' && twice.has(c.attemptId) ? [c.contactId] : [])))];
  const groups = {
    lost: verdict.lostIds.slice(0, EXPLAIN_AT_MOST),
    dialledTwice: dialledTwice.slice(0, EXPLAIN_AT_MOST),
    unsettled: verdict.unsettledIds.slice(0, 5),
  };
  const out: Record<string, unknown[]> = {};
  for (const [kind, ids] of Object.entries(groups)) {
    if (ids.length === 0) continue;
    try {
      const explained = await explain(ids);
      out[kind] = explained;
      for (const e of explained) say(`${kind} contact ${e.contactId}: ${JSON.stringify(e)}`);
    } catch (err) {
      say(`could not explain the ${kind} contacts: ${(err as Error).message}`);
    }
  }
  if (Object.keys(out).length > 0) writeFileSync(join(runDir, 'explanations.json'), JSON.stringify(out, null, 2));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
