// The API role's express app: the contract routes under /v1 (org API keys or console sessions,
// each route allowed or refused by the key's role in one guard), org creation (admin token),
// health and OpenAPI. Every request gets a child logger; every error leaves through one
// handler in the contract shape; bodies are size-limited; each API key is rate-limited.
import cookieParser from 'cookie-parser';
import express, { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Resolver } from '../core/destination.js';
import { metricsHandler } from '../core/metrics-endpoint.js';
import type { Runtime } from '../core/runtime.js';
import { createAdminRouter } from './admin/router.js';
import { orgAuth } from './http/auth.js';
import { authFailureLimiterFor } from './http/auth-failures.js';
import { createConsoleSessions } from './http/console-session.js';
import { errorHandler, notFoundHandler } from './http/errors.js';
import { jsonBody } from './http/json-body.js';
import { rateLimitByOrg, type RateLimitOptions } from './http/rate-limit.js';
import { requestLogger } from './http/request-log.js';
import { roleGuard } from './http/role-guard.js';
import { OpenAPIRegistry, openApiDocument } from './openapi.js';
import { attemptRoutes } from './routes/attempts.js';
import { batchImportRoutes } from './routes/batch-import.js';
import { batchLifecycleRoutes } from './routes/batch-lifecycle.js';
import { batchRoutes } from './routes/batches.js';
import { campaignRoutes } from './routes/campaigns.js';
import { dncRoutes } from './routes/dnc.js';
import type { RouteDeps } from './routes/deps.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { orgRoutes } from './routes/orgs.js';
import { sessionRoutes, sessionSignInRoutes } from './routes/session.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface ApiOptions {
  /** Per API key; default OUTDIAL_API_RATE_LIMIT requests a minute. */
  rateLimit?: RateLimitOptions;
  /** Limit for ordinary JSON bodies; default 1 MiB. */
  jsonLimitBytes?: number;
  /** Limit for a JSON batch body (parsed whole); default the smaller of OUTDIAL_MAX_UPLOAD_BYTES and 64 MiB. CSV streams are bounded by OUTDIAL_MAX_UPLOAD_BYTES. */
  batchJsonLimitBytes?: number;
  /** Routers of other roles served by this process, mounted before /v1 with their own body handling (e.g. POST /livekit/webhook). */
  mounts?: { path: string; handler: RequestHandler | Router }[];
  /** Bound on each /readyz check; default 2 s. */
  readyCheckTimeoutMs?: number;
  /** Clock for lifecycle decisions and console session idle time (tests). */
  now?: () => Date;
  /** DNS for the webhook SSRF guard at registration; default the system resolver (tests). */
  resolve?: Resolver;
}

function v1Router(deps: RouteDeps, opts: ApiOptions): Router {
  const { rt } = deps;
  const v1 = Router();
  const sessions = createConsoleSessions(rt.redis, rt.keys.key('console-session'), {
    idleMs: rt.config.OUTDIAL_SESSION_IDLE_MINUTES * 60_000,
    now: deps.now ?? (() => new Date()),
  });
  v1.use(cookieParser());
  v1.use(sessionSignInRoutes(deps, sessions));
  v1.use(orgAuth(rt.db, deps.authFailures, sessions));
  v1.use(roleGuard(sessions));
  v1.use(
    rateLimitByOrg(
      rt.redis,
      rt.keys.key('ratelimit'),
      opts.rateLimit ?? { points: rt.config.OUTDIAL_API_RATE_LIMIT, windowSeconds: 60 },
    ),
  );
  // Contact import takes its own (larger, streamed) bodies: mounted here, before the JSON parser.
  const maxUpload = rt.config.OUTDIAL_MAX_UPLOAD_BYTES;
  v1.use(
    batchImportRoutes(deps, {
      jsonLimitBytes: opts.batchJsonLimitBytes ?? Math.min(maxUpload, 64 * 1024 * 1024),
    }),
  );
  v1.use(jsonBody(opts.jsonLimitBytes ?? 1024 * 1024));
  v1.use(campaignRoutes(deps));
  v1.use(batchRoutes(deps));
  v1.use(batchLifecycleRoutes(deps));
  v1.use(attemptRoutes(deps));
  v1.use(dncRoutes(deps));
  v1.use(webhookRoutes(deps));
  v1.use(keyRoutes(deps));
  v1.use(sessionRoutes(deps, sessions));
  return v1;
}

/** The api's express app; `setDraining` turns its /readyz 503 (shutdown has begun). */
export type ApiApp = Express & { setDraining(): void };

export function createApp(rt: Runtime, opts: ApiOptions = {}): ApiApp {
  const registry = new OpenAPIRegistry();
  const authFailures = authFailureLimiterFor(rt);
  const deps: RouteDeps = {
    rt,
    registry,
    authFailures,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  };
  const app = express();
  app.disable('x-powered-by');
  // Which proxies may name the client (X-Forwarded-For: failed-auth limits per address) and the
  // scheme (X-Forwarded-Proto: Secure cookies behind a TLS-terminating proxy).
  app.set('trust proxy', rt.config.OUTDIAL_TRUST_PROXY);
  app.use(requestLogger(rt.log));
  app.use(helmet());
  const health = healthRoutes(
    rt,
    registry,
    opts.readyCheckTimeoutMs === undefined ? {} : { checkTimeoutMs: opts.readyCheckTimeoutMs },
  );
  app.use(health);

  for (const m of opts.mounts ?? []) app.use(m.path, m.handler);
  // ── ops: Bull Board (/admin/queues, cookie auth + CSRF) and /metrics mount here. ──
  app.use(createAdminRouter(rt, { authFailures }));
  // With OUTDIAL_METRICS_PORT, startApi serves /metrics on its own listener instead.
  if (rt.config.OUTDIAL_METRICS_PORT === undefined) app.get('/metrics', metricsHandler(rt));

  app.use(orgRoutes(deps));
  app.use('/v1', v1Router(deps, opts));
  const document = openApiDocument(registry);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(notFoundHandler);
  app.use(errorHandler);
  return Object.assign(app, { setDraining: () => health.setDraining() });
}
