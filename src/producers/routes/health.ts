// /healthz answers while the process serves HTTP; /readyz only when Postgres and Redis answer
// and every migration on disk is applied, each check bounded so a dead dependency gives a
// prompt 503 instead of a hung probe.
import { Router } from 'express';
import { sql } from 'kysely';
import { migrationsCurrent } from '../../core/db/migrate.js';
import { z } from 'zod';
import type { Runtime } from '../../core/runtime.js';
import { describeRoute, type OpenAPIRegistry } from '../openapi.js';

async function bounded(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const readySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: z.boolean(), redis: z.boolean(), migrations: z.boolean() }),
});

export function healthRoutes(
  rt: Runtime,
  registry: OpenAPIRegistry,
  opts: { checkTimeoutMs?: number } = {},
): Router {
  const ms = opts.checkTimeoutMs ?? 2000;
  describeRoute(registry, {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    auth: 'none',
    ok: { status: 200, schema: z.object({ status: z.literal('ok') }) },
  });
  describeRoute(registry, {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Postgres, Redis and migrations (503 with the same body when not ready)',
    auth: 'none',
    ok: { status: 200, schema: readySchema },
  });
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [postgres, redis, migrations] = await Promise.all([
      bounded(async () => (await sql`select 1`.execute(rt.db), true), ms),
      bounded(async () => (await rt.redis.ping()) === 'PONG', ms),
      bounded(() => migrationsCurrent(rt.db), ms),
    ]);
    const ready = postgres && redis && migrations;
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, redis, migrations } });
  });
  return router;
}
