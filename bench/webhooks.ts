// Webhook fan-out benchmark: events go in through the `call-events` queue, the sinks record
// them and deliver one signed webhook each to a local receiver (another process) that verifies
// it with `standardwebhooks`. Run 1 pushes a burst through the whole pipeline and measures
// deliveries per second (and each event's time to delivery); run 2 emits at a steady rate and
// measures event → delivered latency; run 3 times the webhooks worker alone on deliveries
// already stored. The machine's 1-minute load average is reported alongside, because other
// work on the host moves these figures. Last line: one JSON object.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { newCallEvent } from '../src/core/events.js';
import type { CallEventJob } from '../src/core/queues.js';
import { enqueueDeliveries } from '../src/sinks/deliveries.js';
import { startSinks } from '../src/sinks/main.js';
import { recordCallEvents } from '../src/sinks/store/call-events.js';
import { insertBatch, insertCampaign, insertOrg } from '../test/support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../test/support/runtime.js';
import { waitFor } from '../test/support/wait.js';
import { insertEndpoint } from '../test/integration/sinks-fixtures.js';

const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const round = (x: number) => Math.round(x * 10) / 10;

async function startReceiver(secret: string) {
  const thread = fork(fileURLToPath(new URL('./webhook-receiver-process.ts', import.meta.url)), {
    env: { ...process.env, BENCH_WEBHOOK_SECRET: secret },
    execArgv: ['--import', 'tsx'],
  });
  const port = await new Promise<number>((resolve) =>
    thread.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const report = () =>
    new Promise<{ arrivals: Map<string, number>; invalid: number }>((resolve) => {
      thread.once('message', (m: { arrivals: [string, number][]; invalid: number }) =>
        resolve({ arrivals: new Map(m.arrivals), invalid: m.invalid }),
      );
      thread.send({ kind: 'report' });
    });
  return { port, report, close: () => thread.send({ kind: 'close' }) };
}

async function allDelivered(rt: TestRuntime, n: number, timeoutMs: number) {
  await waitFor(
    async () => {
      const r = await rt.db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'succeeded')
        .executeTakeFirstOrThrow();
      return Number(r.n) >= n;
    },
    { timeoutMs, intervalMs: 25, what: `${n} deliveries` },
  );
}

function batchEvents(batchId: string, n: number): CallEventJob[] {
  return Array.from({ length: n }, (_, i) => ({ ...newCallEvent('batch.resumed', null, { i }), batchId }));
}

async function burst(rt: TestRuntime, batchId: string, n: number) {
  const events = batchEvents(batchId, n);
  const started = now();
  for (let i = 0; i < events.length; i += 500) {
    const chunk = events.slice(i, i + 500);
    await rt.queues.callEvents.addBulk(chunk.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id } })));
  }
  await waitFor(
    async () => (await rt.queues.callEvents.getJobCountByTypes('wait', 'active', 'delayed')) === 0,
    { timeoutMs: 120_000, intervalMs: 25 },
  );
  process.stderr.write(`burst: events recorded after ${((now() - started) / 1000).toFixed(2)} s\n`);
  await allDelivered(rt, n, 120_000);
  const seconds = (now() - started) / 1000;
  return { events, started, seconds };
}

async function steady(rt: TestRuntime, batchId: string, rate: number, seconds: number) {
  const total = rate * seconds;
  const emitted = new Map<string, number>();
  const start = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate) + 1);
    const chunk = batchEvents(batchId, due - sent);
    for (const e of chunk) emitted.set(e.id, now());
    if (chunk.length > 0) {
      await rt.queues.callEvents.addBulk(
        chunk.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id } })),
      );
    }
    sent = due;
    await new Promise((r) => setTimeout(r, 5));
  }
  return emitted;
}

/** Stores `n` events with their deliveries first, then times only queueing and sending them. */
async function deliveryOnly(rt: TestRuntime, orgId: string, batchId: string, n: number, alreadyDone: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const bodies = batchEvents(batchId, Math.min(500, n - i)).map((e) => ({
      id: e.id,
      type: e.type,
      occurredAt: e.occurredAt,
      orgId,
      campaignId: null,
      batchId,
      contactId: null,
      attemptId: null,
      data: e.data,
    }));
    for (const d of (await recordCallEvents(rt.db, bodies)).values()) ids.push(...d);
  }
  const started = now();
  for (let i = 0; i < ids.length; i += 1000)
    await enqueueDeliveries(rt.queues.webhooks, ids.slice(i, i + 1000));
  await allDelivered(rt, alreadyDone + n, 120_000);
  return { deliveries: n, perSec: Math.round(n / ((now() - started) / 1000)) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      concurrency: { type: 'string' },
      group: { type: 'string' },
    },
  });
  const n = Number(values.events ?? 10_000);
  const rate = Number(values.rate ?? 200);
  const seconds = Number(values.seconds ?? 15);
  const rt = await createTestRuntime('bench_webhooks', {
    OUTDIAL_WEBHOOK_ALLOW_PRIVATE: 'true',
    LOG_LEVEL: 'error',
  });
  try {
    const orgId = (await insertOrg(rt.db)).org.id;
    const campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
    const batch = await insertBatch(rt.db, orgId, campaignId);
    const { endpoint, secret } = await insertEndpoint(rt.db, orgId, 'http://placeholder.invalid/');
    const rx = await startReceiver(secret);
    await rt.db
      .updateTable('webhook_endpoints')
      .set({ url: `http://127.0.0.1:${rx.port}/in` })
      .where('id', '=', endpoint.id)
      .execute();
    const callEvents = {
      ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
      ...(values.group ? { maxGroup: Number(values.group) } : {}),
    };
    const sinks = await startSinks(rt, {
      leases: { release: () => Promise.resolve() },
      maintenance: false,
      callEvents,
    });
    try {
      const b = await burst(rt, batch.id, n);
      const arrivals1 = (await rx.report()).arrivals;
      const lat1 = b.events.map((e) => (arrivals1.get(e.id) ?? NaN) - b.started).sort((x, y) => x - y);
      process.stderr.write(`burst: ${n} in ${b.seconds.toFixed(2)} s\n`);

      const emitted = await steady(rt, batch.id, rate, seconds);
      await allDelivered(rt, n + rate * seconds, 60_000);
      const { arrivals, invalid } = await rx.report();
      const worker = await deliveryOnly(rt, orgId, batch.id, n, n + rate * seconds);
      const lat = [...emitted].map(([id, t]) => (arrivals.get(id) ?? NaN) - t).sort((x, y) => x - y);
      const result = {
        deliveries: n,
        perSec: Math.round(n / b.seconds),
        p50Ms: round(percentile(lat1, 50)),
        p99Ms: round(percentile(lat1, 99)),
        steady: {
          rate,
          seconds,
          deliveries: emitted.size,
          p50Ms: round(percentile(lat, 50)),
          p99Ms: round(percentile(lat, 99)),
        },
        deliveryWorker: worker,
        invalidSignatures: invalid,
        loadAvg1m: round(loadavg()[0] ?? NaN),
      };
      console.log(JSON.stringify(result));
    } finally {
      await sinks.close();
      rx.close();
    }
  } finally {
    await rt.teardown();
  }
}

await main();
