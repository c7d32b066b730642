// The environment each role process of the chaos run gets: the private servers, a shared Redis
// prefix, loopback-only webhooks allowed, the Sim adapter on short calls, and the directory where
// every dialer appends its placed-call log.
import type { RoleName } from './fault-schedule.js';

export interface RoleEnvInput {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** The API's port (ignored by the other roles). */
  port: number;
  encryptionKey: string;
  adminToken: string;
  logLevel: string;
  simSeed: number;
  /** Factor on the Sim's default ring/AMD/talk/voicemail durations. */
  simTimeScale: number;
  callsDir: string;
}

/**
 * Calls last a second or two here, so dial jobs never wait long: a short margin frees the slots of
 * calls that died with a killed dialer (the Sim's calls live in its process) after 35 s instead of
 * 75 s, which keeps the tight limits turning over. It still leaves a call's last event time to come
 * back from a killed sinks process (≤ 15 s) or a Redis flush (outbox, ≤ 20 s) before the attempt
 * counts as stuck.
 */
export const LEASE_MARGIN_SECONDS = 20;

export function roleEnv(role: RoleName, e: RoleEnvInput): Record<string, string> {
  return {
    DATABASE_URL: e.databaseUrl,
    REDIS_URL: e.redisUrl,
    OUTDIAL_REDIS_PREFIX: e.prefix,
    HOST: '127.0.0.1',
    PORT: String(role === 'api' ? e.port : 0),
    OUTDIAL_ADMIN_TOKEN: e.adminToken,
    OUTDIAL_ENCRYPTION_KEY: e.encryptionKey,
    OUTDIAL_WEBHOOK_ALLOW_PRIVATE: 'true',
    OUTDIAL_TELEPHONY: 'sim',
    LOG_LEVEL: e.logLevel,
    OUTDIAL_SIM_SEED: String(e.simSeed),
    OUTDIAL_SIM_TIME_SCALE: String(e.simTimeScale),
    OUTDIAL_SIM_CALL_LOG_DIR: e.callsDir,
    // The harness stops roles at the end with SIGTERM and waits; calls are short.
    OUTDIAL_SHUTDOWN_TIMEOUT_SECONDS: '20',
    OUTDIAL_LEASE_MARGIN_SECONDS: String(LEASE_MARGIN_SECONDS),
  };
}
