// /healthz and /readyz of the api: the router every role serves (core/health.ts), described in
// the OpenAPI document. Each readiness check is bounded, so a dead dependency gives a prompt 503
// instead of a hung probe.
import { z } from 'zod';
import { coreChecks, healthRouter, type HealthRouter } from '../../core/health.js';
import type { Runtime } from '../../core/runtime.js';
import { describeRoute, type OpenAPIRegistry } from '../openapi.js';

const readySchema = z.object({
  ok: z.boolean(),
  draining: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() })),
});

export function healthRoutes(
  rt: Runtime,
  registry: OpenAPIRegistry,
  opts: { checkTimeoutMs?: number } = {},
): HealthRouter {
  describeRoute(registry, {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    auth: 'none',
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
  });
  describeRoute(registry, {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Postgres, Redis and migrations; 503 with the same body when not ready or draining',
    auth: 'none',
    ok: { status: 200, schema: readySchema },
  });
  return healthRouter(coreChecks(rt), opts.checkTimeoutMs === undefined ? {} : { checkTimeoutMs: opts.checkTimeoutMs });
}
