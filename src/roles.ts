// Starts any set of roles over one Runtime: `outdial <role>` starts one, `outdial serve` and the
// demo start several in one process. Shutdown runs in reverse start order (API first, so no new
// work arrives; dialer last among workers so calls in flight finish), then the runtime closes
// queues, Redis and the pool. Beside other roles the API has a pool of its own (closed with it).
import { createConfiguredDb, type Runtime } from './core/runtime.js';
import { coreChecks, livekitCheck, startRoleHttp, type RoleHttp } from './core/health.js';
import { createSlotLeases } from './core/leases.js';
import { defaultSimDurations, type SimDurations } from './dialer/sim/sim-scenario.js';
import { openPlacedCallLog, recordPlacedCalls } from './dialer/sim/placed-call-log.js';
import { startDialerFromRuntime } from './dialer/main.js';
import { telephonyFromConfig } from './dialer/telephony-from-config.js';
import type { Telephony } from './dialer/telephony.js';
import { startApi, type ApiHandle } from './producers/main.js';
import { startScheduler } from './schedulers/main.js';
import { createLiveKitWebhookRouter } from './sinks/livekit-webhook.js';
import { startSinks } from './sinks/main.js';

export const roleNames = ['api', 'scheduler', 'dialer', 'sinks'] as const;
export type RoleName = (typeof roleNames)[number];

export interface RunningRoles {
  /** The API's base URL when the api role runs. */
  apiUrl: string | null;
  /** The Sim adapter when the dialer runs on it (the demo and tests read its call log). */
  telephony: Telephony | null;
  /** The port of /metrics, /healthz and /readyz when no API runs here (they are the API's otherwise). */
  opsPort: number | null;
  /** Turns every role's /readyz 503 and drains the roles (calls in flight finish); the ops server closes last. */
  close(): Promise<void>;
}

export function parseRoles(list: string): RoleName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(roleNames as readonly string[]).includes(n));
  if (bad.length > 0) throw new Error(`unknown role(s): ${bad.join(', ')} (expected ${roleNames.join(', ')})`);
  return [...new Set(names)] as RoleName[];
}

function scaled(scale: number): SimDurations {
  const s = (r: readonly [number, number]) => [Math.round(r[0] * scale), Math.round(r[1] * scale)] as const;
  return {
    ringMs: s(defaultSimDurations.ringMs),
    amdMs: s(defaultSimDurations.amdMs),
    talkMs: s(defaultSimDurations.talkMs),
    voicemailMs: s(defaultSimDurations.voicemailMs),
  };
}

/** The adapter the config asks for; the Sim is seeded and scaled from the environment and may log every call it places. */
export function buildTelephony(rt: Runtime): Telephony {
  const c = rt.config;
  const inner = telephonyFromConfig(c, { db: rt.db, log: rt.log }, {
    seed: c.OUTDIAL_SIM_SEED,
    durations: scaled(c.OUTDIAL_SIM_TIME_SCALE),
  });
  return c.OUTDIAL_TELEPHONY === 'sim' && c.OUTDIAL_SIM_CALL_LOG_DIR
    ? recordPlacedCalls(inner, openPlacedCallLog(c.OUTDIAL_SIM_CALL_LOG_DIR))
    : inner;
}

/**
 * Beside other roles the API gets a Postgres pool of its own: a flood of API requests then waits
 * on the API's pool only, never on the one the scheduler, dialer and sinks need. Everything else
 * (Redis, queues, metrics) stays shared. Alone, the API has the runtime's pool to itself.
 */
async function startApiRole(rt: Runtime, roles: readonly RoleName[], opts: Parameters<typeof startApi>[1]): Promise<ApiHandle> {
  if (roles.length === 1) return startApi(rt, opts);
  const { db, pool } = createConfiguredDb(rt.config);
  try {
    const api = await startApi({ ...rt, db, pool }, opts);
    return {
      ...api,
      async close() {
        await api.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

export async function startRoles(
  rt: Runtime,
  roles: readonly RoleName[],
  opts: { port?: number; telephony?: Telephony; opsPort?: number } = {},
): Promise<RunningRoles> {
  const closers: (() => Promise<void>)[] = [];
  const drainers: (() => void)[] = [];
  let apiUrl: string | null = null;
  let telephony: Telephony | null = null;
  let ops: RoleHttp | null = null;
  try {
    if (roles.includes('sinks')) {
      const sinks = await startSinks(rt, { leases: createSlotLeases(rt.redis, rt.keys) });
      closers.push(() => sinks.close());
    }
    if (roles.includes('dialer')) {
      telephony = opts.telephony ?? buildTelephony(rt);
      const dialer = await startDialerFromRuntime(rt, { telephony, concurrency: rt.config.OUTDIAL_DIAL_CONCURRENCY });
      closers.push(() => dialer.close());
    }
    if (roles.includes('scheduler')) {
      const scheduler = await startScheduler(rt);
      closers.push(() => scheduler.close());
    }
    if (roles.includes('api')) {
      // POST /livekit/webhook is sinks' code served by the API process (the one with a public port),
      // on the roles' pool: tenants' API traffic cannot delay call events.
      const mounts = [{ path: '/', handler: createLiveKitWebhookRouter(rt) }];
      const api = await startApiRole(rt, roles, opts.port === undefined ? { mounts } : { mounts, port: opts.port });
      apiUrl = api.url;
      drainers.push(() => api.setDraining());
      closers.push(() => api.close());
    } else if (opts.opsPort !== undefined) {
      // Roles without the API still serve /metrics, /healthz and /readyz.
      const checks = [...coreChecks(rt)];
      const c = rt.config;
      if (roles.includes('dialer') && c.OUTDIAL_TELEPHONY === 'livekit' && c.LIVEKIT_URL && c.LIVEKIT_API_KEY && c.LIVEKIT_API_SECRET) {
        checks.push(livekitCheck(c.LIVEKIT_URL, c.LIVEKIT_API_KEY, c.LIVEKIT_API_SECRET));
      }
      ops = await startRoleHttp(rt, { port: opts.opsPort, checks });
      drainers.push(() => ops?.setDraining());
    }
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined); // best effort: the start error is what matters
    await ops?.close().catch(() => undefined);
    throw err;
  }
  return {
    apiUrl,
    telephony,
    opsPort: ops?.port ?? null,
    async close() {
      for (const drain of drainers) drain();
      for (const close of [...closers].reverse()) await close();
      // Last: while the roles drain, probes keep getting their 503 rather than a refused connection.
      await ops?.close();
    },
  };
}
