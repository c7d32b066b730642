// The SSRF guard at delivery time: a webhook host that resolves to a private address is refused
// and nothing reaches it, and the tenant's delivery log says only that; when allowed, the socket
// goes to the address that was checked, not to whatever a second DNS lookup would say.
import type { Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/core/destination.js';
import { createLogger } from '../../src/core/logger.js';
import { enqueueDeliveries } from '../../src/sinks/deliveries.js';
import { recordCallEvent } from '../../src/sinks/store/call-events.js';
import { startWebhookWorker } from '../../src/sinks/webhook-worker.js';
import { insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { insertEndpoint } from './sinks-fixtures.js';

let rt: TestRuntime;
let worker: Worker | null = null;
let rx: WebhookReceiver;
let lookups: string[] = [];
let logs: string[] = [];
/** Answers 127.0.0.1 for every name: what a rebinding attacker's DNS would do. */
const rebinding: Resolver = (host) => {
  lookups.push(host);
  return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
};

beforeAll(async () => {
  rt = await createTestRuntime('sinks_ssrf');
});

afterEach(async () => {
  await worker?.close();
  worker = null;
  await rx.close();
  lookups = [];
  logs = [];
});

afterAll(async () => {
  await rt.teardown();
});

async function deliverOne(allowPrivate: boolean, receiverUp = true) {
  const orgId = (await insertOrg(rt.db)).org.id;
  const { endpoint, secret } = await insertEndpoint(rt.db, orgId, 'http://placeholder.invalid/');
  rx = await startWebhookReceiver(secret);
  await rt.db
    .updateTable('webhook_endpoints')
    .set({ url: `http://hooks.example.test:${rx.port}/in` })
    .where('id', '=', endpoint.id)
    .execute();
  if (!receiverUp) await rx.down();
  const log = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(line) } });
  worker = startWebhookWorker(
    { ...rt, log },
    {
      allowPrivate,
      resolve: rebinding,
      backoff: { baseMs: 60_000, capMs: 60_000, deadAfterMs: 3_600_000 },
    },
  );
  const body = {
    id: crypto.randomUUID(),
    type: 'batch.started' as const,
    occurredAt: new Date().toISOString(),
    orgId,
    campaignId: null,
    batchId: null,
    contactId: null,
    attemptId: null,
    data: {},
  };
  const ids = (await recordCallEvent(rt.db, body)) ?? [];
  await enqueueDeliveries(rt.queues.webhooks, ids);
  return waitFor(
    () =>
      rt.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('endpoint_id', '=', endpoint.id)
        .where('status', 'in', ['succeeded', 'failed', 'dead'])
        .executeTakeFirst(),
    { what: 'delivery settled' },
  );
}

describe('SSRF guard at delivery time', () => {
  it('refuses a host that resolves to loopback, sends nothing, and tells the tenant nothing more', async () => {
    const d = await deliverOne(false);
    expect(d.status).toBe('failed');
    expect(d.last_error).toBe('destination not allowed');
    expect(rx.received).toHaveLength(0);
    // Where the name pointed is for the operator: a warning in the server log.
    const refused = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'webhook.destination_refused');
    expect(refused).toMatchObject({ level: 40, host: 'hooks.example.test', deliveryId: d.id });
    expect(refused?.reason).toContain('127.0.0.1');
  });

  it('connects to the checked address when private targets are allowed', async () => {
    const d = await deliverOne(true);
    expect(d.status).toBe('succeeded');
    expect(lookups).toEqual(['hooks.example.test']);
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]?.headers.host).toBe(`hooks.example.test:${rx.port}`);
  });

  it('records a failed connection by its error code, not the address it went to', async () => {
    const d = await deliverOne(true, false);
    expect(d.status).toBe('failed');
    expect(d.last_error).toBe('connection failed (ECONNREFUSED)');
  });
});
