// The tests' way to start the one webhook receiver (src/demo/webhook-receiver.ts): every request
// kept, answers scripted by `respond` (default 200).
import {
  startWebhookReceiver as start,
  type Responder,
  type WebhookReceiver,
} from '../../src/demo/webhook-receiver.js';

export type { Received, Responder, WebhookReceiver } from '../../src/demo/webhook-receiver.js';

export function startWebhookReceiver(secret: string, respond: Responder = () => 200): Promise<WebhookReceiver> {
  return start(secret, { respond, keepRequests: true });
}
