import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createSlotLeases, createTrunkBuckets, leaseKeys, type SlotLeases } from '../../src/core/leases.js';
import { keyspace } from '../../src/core/redis.js';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const prefix = testPrefix('leases');
const keys = keyspace(prefix);
const connections: Redis[] = [];
let leases: SlotLeases;

function connect(): Redis {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 3 });
  connections.push(r);
  return r;
}

beforeAll(() => {
  leases = createSlotLeases(connect(), keys);
});
afterAll(async () => {
  for (const r of connections) r.disconnect();
  await dropPrefix(prefix);
});

const tick = () => new Promise((r) => setImmediate(r));

describe('slot leases', () => {
  it('never lets many concurrent acquirers on separate connections exceed the org, batch or system limit', async () => {
    const orgs = ['org-a', 'org-b'];
    const batches = { 'org-a': ['a1', 'a2', 'a3'], 'org-b': ['b1', 'b2'] } as Record<string, string[]>;
    const limits = { org: 7, batch: 4, system: 12 };
    const pool = Array.from({ length: 8 }, () => createSlotLeases(connect(), keys));
    // 32 acquirers over 8 connections: more contenders than any limit.
    const clients = Array.from({ length: 32 }, (_, i) => pool[i % pool.length] as SlotLeases);
    // Counted as granted when the grant arrives and as freed before the release is sent, so the
    // count can only under-state what Redis holds: any excess is a real violation.
    const held = new Map<string, number>();
    const max = new Map<string, number>();
    const bump = (k: string, d: number) => {
      const v = (held.get(k) ?? 0) + d;
      held.set(k, v);
      max.set(k, Math.max(max.get(k) ?? 0, v));
    };
    let granted = 0;
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < 60; i++) {
          const orgId = orgs[(c + i) % 2] as string;
          const list = batches[orgId] as string[];
          const batchId = list[(c + Math.floor(i / 2)) % list.length] as string;
          const attemptId = randomUUID();
          if (!(await client.acquire({ orgId, batchId, attemptId, limits, ttlMs: 60_000 }))) continue;
          granted += 1;
          for (const k of ['system', orgId, batchId]) bump(k, 1);
          for (let h = 0; h < (i % 4) + 1; h++) await tick();
          for (const k of ['system', orgId, batchId]) bump(k, -1);
          await client.release({ orgId, batchId, attemptId });
        }
      }),
    );
    expect(granted).toBeGreaterThan(100);
    expect(max.get('system')).toBeLessThanOrEqual(limits.system);
    for (const o of orgs) expect(max.get(o)).toBeLessThanOrEqual(limits.org);
    for (const b of Object.values(batches).flat()) expect(max.get(b) ?? 0).toBeLessThanOrEqual(limits.batch);
    expect(Object.values(batches).flat().every((b) => max.has(b))).toBe(true);
    // The limits were actually reached, so the test could have seen a violation.
    expect(max.get('system')).toBe(limits.system);
    const after = await leases.active({ orgIds: orgs, batchIds: Object.values(batches).flat() });
    expect(after.system).toBe(0);
  });

  it('grants a prefix of a list, all three slots or none, and honours a lowered limit', async () => {
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const owner = { orgId: 'org-p', batchId: 'batch-p' };
    expect(await leases.acquireMany({ ...owner, attemptIds: ids, limits: { org: 10, batch: 4, system: 100 }, ttlMs: 60_000 })).toBe(4);
    const counts = await leases.active({ orgIds: ['org-p'], batchIds: ['batch-p'] });
    expect([counts.org.get('org-p'), counts.batch.get('batch-p')]).toEqual([4, 4]);
    // A limit lowered below what is held admits nothing until enough is released.
    const more = { ...owner, attemptId: randomUUID(), limits: { org: 2, batch: 10, system: 100 }, ttlMs: 60_000 };
    expect(await leases.acquire(more)).toBe(false);
    await leases.releaseMany({ ...owner, attemptIds: ids.slice(0, 3) });
    expect(await leases.acquire(more)).toBe(true);
    // Retrying an acquire the attempt already holds succeeds without taking a second slot.
    expect(await leases.acquire(more)).toBe(true);
    const after = await leases.active({ orgIds: ['org-p'], batchIds: ['batch-p'] });
    expect(after.org.get('org-p')).toBe(2);
  });

  it('frees the slots of an expired lease, as if its holder had crashed', async () => {
    const owner = { orgId: 'org-x', batchId: 'batch-x' };
    const limits = { org: 1, batch: 1, system: 100 };
    expect(await leases.acquire({ ...owner, attemptId: randomUUID(), limits, ttlMs: 150 })).toBe(true);
    expect(await leases.acquire({ ...owner, attemptId: randomUUID(), limits, ttlMs: 150 })).toBe(false);
    await waitFor(() => leases.acquire({ ...owner, attemptId: randomUUID(), limits, ttlMs: 60_000 }), {
      what: 'the expired lease to free its slot',
    });
  });

  it('releases idempotently and publishes a wake-up only when something was freed', async () => {
    const sub = connect();
    const messages: string[] = [];
    await sub.subscribe(keys.wakeChannel);
    sub.on('message', (_ch: string, m: string) => messages.push(m));
    const lease = { orgId: 'org-r', batchId: 'batch-r', attemptId: randomUUID() };
    await leases.acquire({ ...lease, limits: { org: 5, batch: 5, system: 100 }, ttlMs: 60_000 });
    await leases.release(lease);
    await leases.release(lease);
    await waitFor(() => messages.length >= 1, { what: 'a wake-up' });
    // A marker release after the duplicate: once it arrives, the duplicate would have too.
    const marker = { orgId: 'org-r', batchId: 'batch-marker', attemptId: randomUUID() };
    await leases.acquire({ ...marker, limits: { org: 5, batch: 5, system: 100 }, ttlMs: 60_000 });
    await leases.release(marker);
    await waitFor(() => messages.includes('batch-marker'), { what: 'the marker wake-up' });
    expect(messages).toEqual(['batch-r', 'batch-marker']);
  });

  it('extends only leases still held, and restores in-flight leases regardless of limits', async () => {
    const owner = { orgId: 'org-e', batchId: 'batch-e' };
    const id = randomUUID();
    await leases.acquire({ ...owner, attemptId: id, limits: { org: 1, batch: 1, system: 100 }, ttlMs: 60_000 });
    expect(await leases.extend({ ...owner, attemptId: id, ttlMs: 120_000 })).toBe(true);
    expect(await leases.extend({ ...owner, attemptId: randomUUID(), ttlMs: 120_000 })).toBe(false);
    const lost = [randomUUID(), randomUUID()];
    expect(await leases.restore({ ...owner, attemptIds: lost, ttlMs: 60_000 })).toBe(2);
    const counts = await leases.active({ orgIds: ['org-e'], batchIds: ['batch-e'] });
    expect(counts.batch.get('batch-e')).toBe(3);
    const held = (await leases.held()).filter((h) => h.batchId === 'batch-e').map((h) => h.attemptId);
    expect(held.sort()).toEqual([id, ...lost].sort());
  });
});

describe('trunk calls-per-second buckets', () => {
  it('grants at most a burst at once, then about cps tokens a second', async () => {
    const redis = connect();
    const buckets = createTrunkBuckets(redis, keys);
    const cps = 50;
    const start = Date.now();
    let total = await buckets.take('trunk-1', cps, 1000);
    expect(total).toBe(cps);
    await waitFor(
      async () => {
        total += await buckets.take('trunk-1', cps, 1000);
        return Date.now() - start >= 300;
      },
      { intervalMs: 10 },
    );
    const elapsed = Date.now() - start;
    expect(total).toBeLessThanOrEqual(cps + Math.ceil((cps * elapsed) / 1000));
    expect(total).toBeGreaterThanOrEqual(cps + Math.floor((cps * 250) / 1000));
  });

  it('takes back refunded tokens without overfilling the bucket', async () => {
    const redis = connect();
    const buckets = createTrunkBuckets(redis, keys);
    expect(await buckets.take('trunk-2', 10, 10)).toBe(10);
    await buckets.refund('trunk-2', 10, 4);
    expect(await buckets.take('trunk-2', 10, 10)).toBe(4);
    await buckets.refund('trunk-2', 10, 100);
    expect(await buckets.take('trunk-2', 10, 100)).toBe(10);
    expect(await redis.pttl(leaseKeys(keys).trunk('trunk-2'))).toBeGreaterThan(0);
  });
});
