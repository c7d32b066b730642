// Signs and posts a webhook the way livekit-server's URL notifier does: protojson body,
// `content-type: application/webhook+json`, and the raw JWT (no "Bearer") in Authorization,
// carrying a `sha256` claim = base64(sha256(body)). WebhookReceiver.receive verifies exactly this.
import { createHash, randomUUID } from 'node:crypto';
import { AccessToken, type WebhookEventNames } from 'livekit-server-sdk';

export type DoubleWebhookEventName = WebhookEventNames | 'agent_job_started' | 'agent_job_ended';

/** A webhook event in protojson form; `id` and `createdAt` are filled in when absent. */
export interface WebhookEventJson {
  event: DoubleWebhookEventName;
  id?: string;
  createdAt?: string;
  room?: Record<string, unknown>;
  participant?: Record<string, unknown>;
  egressInfo?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
}

export async function signWebhook(
  apiKey: string,
  apiSecret: string,
  event: WebhookEventJson,
): Promise<SignedWebhook> {
  const body = JSON.stringify({
    id: `EV_${randomUUID()}`,
    createdAt: String(Math.floor(Date.now() / 1000)),
    ...event,
  });
  const token = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return {
    body,
    headers: { 'content-type': 'application/webhook+json', authorization: await token.toJwt() },
  };
}

export async function postSignedWebhook(
  url: string,
  apiKey: string,
  apiSecret: string,
  event: WebhookEventJson,
): Promise<Response> {
  const { body, headers } = await signWebhook(apiKey, apiSecret, event);
  return fetch(url, { method: 'POST', headers, body });
}
