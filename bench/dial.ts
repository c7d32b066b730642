// npm run bench:dial [-- --calls N --concurrency C]
// Dial setup overhead: N queued attempts go through the real `dial` worker (Postgres claim,
// call-events emission) into the LiveKit adapter against the local protocol double, where every
// number answers at once. setupMs = job picked up → SIP participant created (what
// outdial_dial_setup_seconds measures; with an instant answer it is all overhead); inviteMs = job
// picked up → INVITE sent (claim, call.dialing, createRoom, createDispatch). The double runs in this process,
// so its HTTP handling shares the CPU with the dialer: figures are an upper bound on our overhead.
// The same run with the Sim adapter (instant calls) isolates the claim + event emission part.
// Last stdout line: one JSON object.
import { parseArgs } from 'node:util';
import { SipClient } from 'livekit-server-sdk';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { createRuntime, type Runtime } from '../src/core/runtime.js';
import { LiveKitTelephony } from '../src/dialer/livekit/livekit-telephony.js';
import { postgresTrunkStore } from '../src/dialer/livekit/trunk-store.js';
import { startDialer } from '../src/dialer/main.js';
import { SimTelephony } from '../src/dialer/sim/sim-telephony.js';
import { instantSimDurations } from '../src/dialer/sim/sim-scenario.js';
import type { Telephony } from '../src/dialer/telephony.js';
import { queuedAttempts } from '../test/integration/dialer-support.js';
import { createTestDatabase } from '../test/support/db.js';
import { startLiveKitDouble } from '../test/support/livekit-double/index.js';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from '../test/support/redis.js';
import { waitFor } from '../test/support/wait.js';

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => {
    const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return Math.round(v * 100) / 100;
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

interface RunResult {
  /** outdial_dial_setup_seconds: job picked up → answered (the double answers at once). */
  setupMs: Percentiles;
  /** Job picked up → INVITE sent. */
  inviteMs: Percentiles;
  /** Job picked up → job done (includes waiting for the answer, which the double gives at once). */
  jobMs: Percentiles;
  dialsPerSec: number;
}

async function run(
  rt: Runtime,
  telephony: Telephony,
  calls: number,
  concurrency: number,
): Promise<RunResult> {
  // Phones ending in 9 are absent from the double's dial table: they all answer.
  const phones = Array.from({ length: calls }, (_, i) => `+1303${String(i).padStart(6, '0')}9`);
  const { attempts } = await queuedAttempts(rt.db, phones, { recording: false });
  const setup: number[] = [];
  const invite: number[] = [];
  const dialer = await startDialer({
    db: rt.db,
    connection: rt.redis,
    prefix: rt.prefix,
    callEvents: rt.queues.callEvents,
    telephony,
    log: rt.log,
    registry: rt.registry,
    concurrency,
    metrics: {
      dialSetup: (seconds) => void setup.push(seconds * 1000),
      inviteSent: (seconds) => void invite.push(seconds * 1000),
    },
  });
  const started = performance.now();
  await rt.queues.dial.addBulk(
    attempts.map((a) => ({ name: 'dial', data: { attemptId: a.attemptId }, opts: { jobId: a.attemptId } })),
  );
  await waitFor(async () => ((await rt.queues.dial.getJobCounts('completed')).completed ?? 0) >= calls, {
    timeoutMs: 600_000,
    intervalMs: 50,
    what: 'all dial jobs',
  });
  const seconds = (performance.now() - started) / 1000;
  const jobs = await rt.queues.dial.getJobs(['completed'], 0, -1);
  await dialer.close();
  await rt.queues.dial.obliterate({ force: true });
  await rt.queues.callEvents.obliterate({ force: true });
  return {
    setupMs: percentiles(setup),
    inviteMs: percentiles(invite),
    jobMs: percentiles(jobs.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0))),
    dialsPerSec: Math.round(calls / seconds),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { calls: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '50' } },
  });
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  const testDb = await createTestDatabase('bench_dial');
  const prefix = testPrefix('bench_dial');
  const lk = await startLiveKitDouble();
  const log = createLogger({ level: 'silent' });
  const rt = createRuntime(
    loadConfig({
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      OUTDIAL_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    }),
    { log, poolMax: 20 },
  );
  try {
    const sip = new SipClient(lk.url, lk.apiKey, lk.apiSecret);
    const trunkId = (await sip.createSipOutboundTrunk('bench', 'sip.example.test', ['+13035550100']))
      .sipTrunkId;
    const livekit = new LiveKitTelephony({
      url: lk.url,
      apiKey: lk.apiKey,
      apiSecret: lk.apiSecret,
      trunk: { id: trunkId },
      trunkStore: postgresTrunkStore(rt.db),
      log,
    });
    const sim = (): SimTelephony =>
      new SimTelephony({ seed: 1, odds: { human: 1, voicemail: 0 }, durations: instantSimDurations, log });
    // One dial at a time: the latency of the path itself. Then C at a time: behaviour under load.
    const serial = await run(rt, livekit, Math.min(calls, 300), 1);
    process.stderr.write(`livekit double, serial: ${JSON.stringify(serial)}\n`);
    const loaded = await run(rt, livekit, calls, concurrency);
    process.stderr.write(`livekit double, concurrency ${concurrency}: ${JSON.stringify(loaded)}\n`);
    const simSerial = await run(rt, sim(), Math.min(calls, 300), 1);
    const simLoaded = await run(rt, sim(), calls, concurrency);
    process.stderr.write(`sim: ${JSON.stringify({ serial: simSerial, loaded: simLoaded })}\n`);
    console.log(
      JSON.stringify({
        calls,
        concurrency,
        livekitDouble: { serial, loaded },
        sim: { serial: simSerial, loaded: simLoaded },
      }),
    );
  } finally {
    await rt.close();
    await lk.close();
    await testDb.drop();
    await dropPrefix(prefix);
  }
}

await main();
