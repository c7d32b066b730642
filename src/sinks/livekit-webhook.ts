// POST /livekit/webhook: LiveKit server events, verified with the SDK's WebhookReceiver over
// the raw body and the raw JWT in `Authorization` (no "Bearer"). Anything unsigned, tampered
// or stale gets 401 and nothing is recorded. Verified events become call events on the
// `call-events` queue, so they go through the same state machine as everything else.
import express, { type Request, type Response, type Router } from 'express';
import { WebhookReceiver } from 'livekit-server-sdk';
import { queueCallEvents, writeOutbox } from '../core/events.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../core/json-depth.js';
import { callEventJobSchema } from '../core/queues.js';
import type { Runtime } from '../core/runtime.js';
import { mapLiveKitEvent } from './livekit-events.js';

export interface LiveKitWebhookOptions {
  /** How long a synthesised close waits for the agent's own final event (default 15 s). */
  closeGraceMs?: number;
  /** Clock skew tolerated on the JWT's exp/nbf, in seconds (default 10). */
  clockToleranceSec?: number;
}

function problem(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function createLiveKitWebhookRouter(rt: Runtime, opts: LiveKitWebhookOptions = {}): Router {
  const { LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret } = rt.config;
  const receiver = key && secret ? new WebhookReceiver(key, secret) : null;
  const log = rt.log.child({ route: 'livekit.webhook' });
  const router = express.Router();

  router.post(
    '/livekit/webhook',
    express.raw({ type: '*/*', limit: '1mb' }),
    async (req: Request, res: Response) => {
      if (!receiver)
        return problem(res, 503, 'not_configured', 'LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not set');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const auth = req.get('authorization');
      if (!auth) return problem(res, 401, 'unauthorized', 'missing Authorization');
      // The SDK parses the body whole; refuse a recursion bomb before it does, as the API does.
      if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH))
        return problem(res, 400, 'invalid_request', `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
      const raw = body.toString('utf8');
      let event;
      try {
        event = await receiver.receive(raw, auth, false, opts.clockToleranceSec ?? 10);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'livekit.webhook_rejected');
        return problem(res, 401, 'unauthorized', 'invalid webhook signature');
      }
      const mapped = mapLiveKitEvent(event).map((m) => ({ ...m, event: callEventJobSchema.parse(m.event) }));
      // Outbox first: an event whose job Redis loses is queued again by the reconciler.
      await writeOutbox(rt.db, mapped.map((m) => m.event));
      for (const m of mapped) {
        await queueCallEvents(rt.queues.callEvents, [m.event], { delayMs: m.deferred ? (opts.closeGraceMs ?? 15_000) : 0 });
      }
      log.debug({ event: event.event, room: event.room?.name, mapped: mapped.length }, 'livekit.webhook');
      res.status(200).json({ ok: true });
    },
  );

  return router;
}
