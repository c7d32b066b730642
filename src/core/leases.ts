// Concurrency leases and trunk rate limits in Redis. A call in flight holds one org slot, one
// batch slot and one system-wide slot, taken together by one Lua script (all three or none) and
// scored by expiry, so a crashed holder frees them when the lease runs out. Releasing is
// idempotent and wakes the schedulers. The scripts are the files in ./leases (KEYS/ARGV headers).
import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { Config } from './config.js';
import type { keyspace, Redis } from './redis.js';

export interface SlotLimits {
  org: number;
  batch: number;
  /** OUTDIAL_MAX_ACTIVE_CALLS: the agent fleet's capacity. */
  system: number;
}

export interface LeaseOwner {
  orgId: string;
  batchId: string;
}

export interface HeldLease extends LeaseOwner {
  attemptId: string;
  expiresAt: number;
}

export interface ActiveCounts {
  /** False after Redis lost its data and before the reconciler rebuilt the leases: counts are not to be trusted. */
  ready: boolean;
  system: number;
  org: Map<string, number>;
  batch: Map<string, number>;
}

export interface SlotLeases {
  /** Takes an org, a batch and a system slot for the attempt, all or none. */
  acquire(req: LeaseOwner & { attemptId: string; limits: SlotLimits; ttlMs: number }): Promise<boolean>;
  /** Takes slots for as many of the attempts as fit, in order; returns how many (a prefix). */
  acquireMany(req: LeaseOwner & { attemptIds: readonly string[]; limits: SlotLimits; ttlMs: number }): Promise<number>;
  /** Frees the attempt's slots (idempotent) and wakes the schedulers. */
  release(req: LeaseOwner & { attemptId: string }): Promise<void>;
  releaseMany(req: LeaseOwner & { attemptIds: readonly string[] }): Promise<number>;
  /** Pushes back a held lease's expiry; false when the attempt holds no lease. */
  extend(req: LeaseOwner & { attemptId: string; ttlMs: number }): Promise<boolean>;
  /** Recreates or refreshes (expiry only moves forward) leases of calls known to be in flight, ignoring limits. */
  restore(req: LeaseOwner & { attemptIds: readonly string[]; ttlMs: number }): Promise<number>;
  /** Live leases of the system and of each given org and batch (expired ones dropped first). */
  active(req: { orgIds: readonly string[]; batchIds: readonly string[] }): Promise<ActiveCounts>;
  /** Every lease in the system set, expired or not (the reconciler compares them with Postgres). */
  held(): Promise<HeldLease[]>;
  /** Marks the lease sets as complete (the reconciler, once it has rebuilt them from Postgres). */
  markReady(): Promise<void>;
  isReady(): Promise<boolean>;
}

export interface TrunkBuckets {
  /** Takes up to `requested` call tokens from the trunk's bucket; returns how many it got. */
  take(trunkId: string, cps: number, requested: number): Promise<number>;
  /** Gives back tokens taken but not used. */
  refund(trunkId: string, cps: number, count: number): Promise<void>;
}

/**
 * Lease time beyond ring + max call (default of OUTDIAL_LEASE_MARGIN_SECONDS): a dial job may wait
 * this long in the queue (the dialer refuses an attempt queued longer ago), so the lease still
 * covers the whole call when it is dialled.
 */
export const LEASE_MARGIN_MS = 60_000;

/** The configured margin (OUTDIAL_LEASE_MARGIN_SECONDS) in ms, as admission, reconciler and dialer use it. */
export function leaseMarginMs(config: Pick<Config, 'OUTDIAL_LEASE_MARGIN_SECONDS'>): number {
  return config.OUTDIAL_LEASE_MARGIN_SECONDS * 1000;
}

type Keys = ReturnType<typeof keyspace>;
type Arg = string | number;

/** The scripts as ioredis custom commands (EVALSHA, falling back to EVAL once per connection). */
interface LeaseCommands {
  odAcquireSlots(...args: Arg[]): Promise<number>;
  odReleaseSlots(...args: Arg[]): Promise<number>;
  odExtendSlots(...args: Arg[]): Promise<number>;
  odRestoreSlots(...args: Arg[]): Promise<number>;
  odCountSlots(numKeys: number, ...keys: string[]): Promise<number[]>;
  odTakeTokens(...args: Arg[]): Promise<number>;
}

const scripts = {
  odAcquireSlots: { file: 'acquireSlots-3.lua', numberOfKeys: 3 },
  odReleaseSlots: { file: 'releaseSlots-3.lua', numberOfKeys: 3 },
  odExtendSlots: { file: 'extendSlots-3.lua', numberOfKeys: 3 },
  odRestoreSlots: { file: 'restoreSlots-3.lua', numberOfKeys: 3 },
  odCountSlots: { file: 'countSlots.lua', numberOfKeys: undefined },
  odTakeTokens: { file: 'takeTokens-1.lua', numberOfKeys: 1 },
} as const;

let sources: Map<string, string> | undefined;
function loadSources(): Map<string, string> {
  sources ??= new Map(
    Object.values(scripts).map(({ file }) => [file, readFileSync(new URL(`./leases/${file}`, import.meta.url), 'utf8')]),
  );
  return sources;
}

/** Defines the lease scripts on a connection (idempotent); pipelines of it get them too. */
export function defineLeaseCommands(redis: Redis): Redis & LeaseCommands {
  const src = loadSources();
  for (const [name, { file, numberOfKeys }] of Object.entries(scripts)) {
    if (!(name in redis)) {
      redis.defineCommand(name, { lua: src.get(file) ?? '', ...(numberOfKeys ? { numberOfKeys } : {}) });
    }
  }
  return redis as Redis & LeaseCommands;
}

/** The lease key names (also used by tests and the benchmark to observe them). */
export function leaseKeys(keys: Keys) {
  return {
    system: keys.key('lease', 'system'),
    org: (orgId: string) => keys.key('lease', 'org', orgId),
    batch: (batchId: string) => keys.key('lease', 'batch', batchId),
    trunk: (trunkId: string) => keys.key('cps', trunkId),
    ready: keys.key('lease', 'ready'),
  };
}

/** On a pipeline the commands queue instead of returning promises. */
interface LeasePipeline {
  odAcquireSlots(...args: Arg[]): ChainableCommander;
}

/**
 * Queues an acquire on a pipeline of a connection passed through defineLeaseCommands, so one
 * round trip can take slots for many batches; the pipeline's result for it is the granted count.
 */
export function pipelineAcquire(
  pipeline: ChainableCommander,
  keys: Keys,
  req: LeaseOwner & { attemptIds: readonly string[]; limits: SlotLimits; ttlMs: number },
): void {
  const k = leaseKeys(keys);
  const { limits } = req;
  (pipeline as unknown as LeasePipeline).odAcquireSlots(
    ...[k.org(req.orgId), k.batch(req.batchId), k.system, req.ttlMs, limits.org, limits.batch, limits.system],
    ...[req.orgId, req.batchId, ...req.attemptIds],
  );
}

export function createSlotLeases(redis: Redis, keys: Keys): SlotLeases {
  const r = defineLeaseCommands(redis);
  const k = leaseKeys(keys);
  const triple = (o: LeaseOwner) => [k.org(o.orgId), k.batch(o.batchId), k.system] as const;

  const acquireMany: SlotLeases['acquireMany'] = async (req) => {
    if (req.attemptIds.length === 0) return 0;
    const { org, batch, system } = req.limits;
    return r.odAcquireSlots(...triple(req), req.ttlMs, org, batch, system, req.orgId, req.batchId, ...req.attemptIds);
  };
  const releaseMany: SlotLeases['releaseMany'] = async (req) => {
    if (req.attemptIds.length === 0) return 0;
    return r.odReleaseSlots(...triple(req), keys.wakeChannel, req.orgId, req.batchId, ...req.attemptIds);
  };

  return {
    acquireMany,
    releaseMany,
    async acquire(req) {
      return (await acquireMany({ ...req, attemptIds: [req.attemptId] })) === 1;
    },
    async release(req) {
      await releaseMany({ ...req, attemptIds: [req.attemptId] });
    },
    async extend(req) {
      return (await r.odExtendSlots(...triple(req), req.ttlMs, req.orgId, req.batchId, req.attemptId)) === 1;
    },
    async restore(req) {
      if (req.attemptIds.length === 0) return 0;
      return r.odRestoreSlots(...triple(req), req.ttlMs, req.orgId, req.batchId, ...req.attemptIds);
    },
    async active({ orgIds, batchIds }) {
      const names = [k.ready, k.system, ...orgIds.map(k.org), ...batchIds.map(k.batch)];
      const counts = await r.odCountSlots(names.length, ...names);
      const at = (i: number) => counts[i] ?? 0;
      return {
        ready: at(0) === 1,
        system: at(1),
        org: new Map(orgIds.map((id, i) => [id, at(2 + i)])),
        batch: new Map(batchIds.map((id, i) => [id, at(2 + orgIds.length + i)])),
      };
    },
    async markReady() {
      await redis.set(k.ready, '1');
    },
    async isReady() {
      return (await redis.exists(k.ready)) === 1;
    },
    async held() {
      const raw = await redis.zrange(k.system, 0, -1, 'WITHSCORES');
      const out: HeldLease[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const [orgId, batchId, attemptId] = (raw[i] ?? '').split('|');
        if (orgId && batchId && attemptId) out.push({ orgId, batchId, attemptId, expiresAt: Number(raw[i + 1]) });
      }
      return out;
    },
  };
}

/** Per-trunk calls-per-second token buckets; burst is one second's worth. */
export function createTrunkBuckets(redis: Redis, keys: Keys): TrunkBuckets {
  const r = defineLeaseCommands(redis);
  const k = leaseKeys(keys);
  return {
    async take(trunkId, cps, requested) {
      if (requested <= 0) return 0;
      return r.odTakeTokens(k.trunk(trunkId), cps, cps, requested);
    },
    async refund(trunkId, cps, count) {
      if (count > 0) await r.odTakeTokens(k.trunk(trunkId), cps, cps, -count);
    },
  };
}
