// The bench's webhook receiver (the one receiver, src/demo/webhook-receiver.ts), in its own
// process so that verifying signatures does not share an event loop with the sinks under test. It
// reports when each webhook id first arrived (epoch ms, sub-millisecond) and how many requests
// failed verification (the bench requires 0).
import { startWebhookReceiver } from '../src/demo/webhook-receiver.js';

const secret = process.env.BENCH_WEBHOOK_SECRET ?? '';
const send = (m: unknown) => process.send?.(m);
const receiver = await startWebhookReceiver(secret, { respond: () => 200 });
send({ kind: 'listening', port: receiver.port });
process.on('message', (m: { kind: string }) => {
  if (m.kind === 'report') {
    const arrivals = [...receiver.events.values()].map((e) => [e.id, e.receivedAt] as const);
    send({ kind: 'report', arrivals, invalid: receiver.stats.invalidSignatures });
  }
  if (m.kind === 'close') void receiver.close().then(() => process.exit(0));
});
