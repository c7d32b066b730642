// The process environment, validated once at start-up; the parsed Config is passed down
// explicitly. Two narrower loaders read the environment through `parseEnv` below, for settings
// only they need: the agent's (core/agent-config.ts) and the client commands'
// (producers/client/config.ts). A missing or invalid variable stops the process with a message
// naming it.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { GENERATE_SECRET_HINT, secretWeakness } from './secret-policy.js';

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** An optional variable; set but empty counts as unset. */
export const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/** An operator-chosen secret: may stay unset, but when set must pass the policy in secret-policy.ts. */
const optionalSecret = optionalNonEmpty.superRefine((v, ctx) => {
  const weakness = v === undefined ? null : secretWeakness(v);
  if (weakness) ctx.addIssue({ code: 'custom', message: `${weakness}; ${GENERATE_SECRET_HINT}` });
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Express's `trust proxy`: unset or `false` trusts no proxy (req.ip is the peer), `true` trusts
 * every hop, a number trusts that many hops, otherwise a comma-separated list of addresses,
 * CIDR ranges or the names loopback, linklocal, uniquelocal.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): boolean | number | string[] => {
    const s = v?.trim() ?? '';
    if (s === '' || s === 'false') return false;
    if (s === 'true') return true;
    if (/^\d+$/.test(s)) return Number(s);
    const items = s.split(',').map((i) => i.trim());
    const bad = items.filter((i) => !PROXY_NAMES.has(i) && !ipaddr.isValid(i) && !ipaddr.isValidCIDR(i));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `not an address, CIDR range or proxy name: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return items;
  });

export const configSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/outdial'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Prefix for every Redis key (BullMQ queues, leases): several deployments or tests can share one Redis. */
  OUTDIAL_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('outdial'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** Guards POST /v1/orgs and Bull Board; unset closes both. At least 256 bits (secret-policy.ts). */
  OUTDIAL_ADMIN_TOKEN: optionalSecret,
  /** Bull Board shows queues and jobs but refuses every action (retry, clean, pause, remove). */
  OUTDIAL_BULLBOARD_READONLY: bool.default(false),
  /** Encrypts webhook secrets at rest (unset: a published development key, warned). At least 256 bits. */
  OUTDIAL_ENCRYPTION_KEY: optionalSecret,
  /** During a key rotation: the key being retired, tried for decryption only (see `outdial secrets reencrypt`). */
  OUTDIAL_ENCRYPTION_KEY_PREVIOUS: optionalSecret,
  /** When set, /metrics answers only `Authorization: Bearer <token>` (it names org ids). At least 256 bits. */
  OUTDIAL_METRICS_TOKEN: optionalSecret,
  /** The api role serves /metrics (with /healthz, /readyz) on this port of HOST instead of on PORT. */
  OUTDIAL_METRICS_PORT: optionalNonEmpty.pipe(z.coerce.number<string>().int().min(0).max(65535).optional()),
  /** Express `trust proxy`: which hops may set X-Forwarded-For/-Proto (client address for auth limits, Secure cookies). */
  OUTDIAL_TRUST_PROXY: trustProxy,
  /** Failed authentications (API key, admin token, Bull Board login) allowed per client address in each window; 429 beyond. */
  OUTDIAL_AUTH_FAILURE_LIMIT: z.coerce.number().int().positive().default(20),
  OUTDIAL_AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().positive().max(86_400).default(300),
  /** A console session (POST /v1/session) unused for this long is ended; every request renews it. */
  OUTDIAL_SESSION_IDLE_MINUTES: z.coerce.number().int().positive().max(24 * 60).default(30),
  OUTDIAL_TELEPHONY: z.enum(['sim', 'livekit']).default('sim'),
  /** Sim adapter: seed of every call's fate, and a factor on its ring/AMD/talk durations (0 = instant). */
  OUTDIAL_SIM_SEED: z.coerce.number().int().default(1),
  OUTDIAL_SIM_TIME_SCALE: z.coerce.number().min(0).max(100).default(1),
  /** Sim adapter: a directory where every placed call is appended (durable across processes, for audits). */
  OUTDIAL_SIM_CALL_LOG_DIR: optionalNonEmpty,
  LIVEKIT_URL: optionalNonEmpty,
  LIVEKIT_API_KEY: optionalNonEmpty,
  LIVEKIT_API_SECRET: optionalNonEmpty,
  OUTDIAL_SIP_TRUNK_ID: optionalNonEmpty,
  OUTDIAL_SIP_TRUNK_ADDRESS: optionalNonEmpty,
  OUTDIAL_SIP_TRUNK_NUMBERS: optionalNonEmpty,
  OUTDIAL_SIP_TRUNK_TRANSPORT: z.enum(['auto', 'udp', 'tcp', 'tls']).default('auto'),
  OUTDIAL_SIP_TRUNK_USERNAME: optionalNonEmpty,
  OUTDIAL_SIP_TRUNK_PASSWORD: optionalNonEmpty,
  /** LiveKit dialer: how long the dispatched agent has to join the call's room before the callee is dialled; past it the attempt fails unplaced. */
  OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(45),
  /** Dials in flight per dialer process; with waitUntilAnswered each holds its slot up to the ring timeout. */
  OUTDIAL_DIAL_CONCURRENCY: z.coerce.number().int().positive().max(5000).default(100),
  /** System-wide cap on calls in flight: the agent fleet's capacity. */
  OUTDIAL_MAX_ACTIVE_CALLS: z.coerce.number().int().positive().default(1000),
  /**
   * Slot lease time beyond ring timeout + max call: how long a dial job may wait in the queue, and
   * how long a call whose process died holds its slots past its deadline. Shorter frees dead calls'
   * slots sooner; longer tolerates a slower dial queue.
   */
  OUTDIAL_LEASE_MARGIN_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  OUTDIAL_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** API requests a minute per org API key (429 beyond). */
  OUTDIAL_API_RATE_LIMIT: z.coerce.number().int().positive().default(600),
  OUTDIAL_MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024),
  /**
   * Contact imports one org may run at once, across every API process (a Redis lease per import);
   * 429 beyond. An import holds a database connection while it writes, so this keeps one org from
   * taking the API's pool.
   */
  OUTDIAL_IMPORTS_PER_ORG: z.coerce.number().int().positive().max(100).default(2),
  /** A CSV upload that sends no byte for this long is cut off with 408 (fractions allowed). */
  OUTDIAL_UPLOAD_IDLE_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(30),
  /**
   * A CSV upload must deliver at least this many bytes a second over every rate window (the first
   * window is the grace period), else it is cut off with 408; 0 turns the check off.
   */
  OUTDIAL_UPLOAD_MIN_BYTES_PER_SECOND: z.coerce.number().int().min(0).default(8 * 1024),
  OUTDIAL_UPLOAD_RATE_WINDOW_SECONDS: z.coerce.number().positive().max(3600).default(30),
  /** Where CSV uploads are spooled before their import (default the OS temp dir); the file is unlinked at once. */
  OUTDIAL_UPLOAD_SPOOL_DIR: optionalNonEmpty,
  /** Connections in each Postgres pool of a process: the roles' pool, and the API's own under `serve`. */
  OUTDIAL_DB_POOL_MAX: z.coerce.number().int().positive().max(1000).default(10),
  /**
   * How long a query waits for a pool connection before failing (503 in the API) instead of
   * hanging; also bounds opening a new connection. 0 waits forever. Fractions allowed.
   */
  OUTDIAL_DB_ACQUIRE_TIMEOUT_SECONDS: z.coerce.number().min(0).max(600).default(5),
  S3_ENDPOINT: optionalNonEmpty,
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().default('recordings'),
  S3_ACCESS_KEY: optionalNonEmpty,
  S3_SECRET_KEY: optionalNonEmpty,
  DEEPGRAM_API_KEY: optionalNonEmpty,
  OPENAI_API_KEY: optionalNonEmpty,
  OPENAI_BASE_URL: optionalNonEmpty,
  CARTESIA_API_KEY: optionalNonEmpty,
  /** How long a role may drain on SIGTERM (calls in flight finish) before it exits anyway. */
  OUTDIAL_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(330),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses an environment; throws ConfigError naming every bad variable. */
/** Parses `env` with `schema`; throws ConfigError naming each bad variable (`what`: whose configuration). */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  what = 'configuration',
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid ${what}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, env);
}

/** Checks the variables a role needs beyond the defaults; throws ConfigError naming the missing ones. */
export function requireConfig<K extends keyof Config>(
  config: Config,
  keys: readonly K[],
  why: string,
): Config & { [P in K]-?: NonNullable<Config[P]> } {
  const missing = keys.filter((k) => config[k] === undefined);
  if (missing.length > 0) throw new ConfigError(`${why} needs ${missing.join(', ')}`);
  return config as Config & { [P in K]-?: NonNullable<Config[P]> };
}
