// Retention against a local S3-compatible server (s3rver): transcripts and recordings older
// than the org's retention_days are removed, younger ones stay, and the daily job is scheduled.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClient } from 'aws4fetch';
// @ts-expect-error s3rver ships no type declarations; only its constructor and run/close are used.
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMaintenance } from '../../src/sinks/maintenance.js';
import { createObjectStore } from '../../src/sinks/object-store.js';
import { runRetention } from '../../src/sinks/retention.js';
import { insertBatch, insertCampaign, insertContacts, insertOrg } from '../support/fixtures.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { insertAttempt } from './sinks-fixtures.js';

interface S3Server {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3Server;

let rt: TestRuntime;
let s3: S3Server;
let dir: string;
let endpoint: string;
const aws = new AwsClient({
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  region: 'us-east-1',
  service: 's3',
});
const DAY = 86_400_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'od-s3-'));
  s3 = new (S3rver as S3rverCtor)({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: 'recordings' }],
  });
  const addr = await s3.run();
  endpoint = `http://127.0.0.1:${addr.port}`;
  rt = await createTestRuntime('sinks_retention', {
    S3_ENDPOINT: endpoint,
    S3_ACCESS_KEY: 'S3RVER',
    S3_SECRET_KEY: 'S3RVER',
    S3_BUCKET: 'recordings',
  });
});

afterAll(async () => {
  await rt.teardown();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

async function put(key: string) {
  const res = await aws.fetch(`${endpoint}/recordings/${key}`, { method: 'PUT', body: 'OggS fake audio' });
  expect(res.status).toBe(200);
}
const exists = async (key: string) =>
  (await aws.fetch(`${endpoint}/recordings/${key}`, { method: 'HEAD' })).status === 200;

async function endedAttempt(retentionDays: number, endedDaysAgo: number, key: string) {
  const orgId = (await insertOrg(rt.db)).org.id;
  await rt.db.updateTable('orgs').set({ retention_days: retentionDays }).where('id', '=', orgId).execute();
  const campaignId = (await insertCampaign(rt.db, orgId)).campaign.id;
  const batch = await insertBatch(rt.db, orgId, campaignId);
  const [c] = await insertContacts(rt.db, orgId, batch.id, 1);
  const a = await insertAttempt(rt.db, c!, campaignId, { status: 'finished' });
  await put(key);
  await rt.db
    .updateTable('attempts')
    .set({
      ended_at: new Date(Date.now() - endedDaysAgo * DAY),
      transcript: JSON.stringify([{ role: 'callee', text: 'hello', atMs: 10 }]),
      recording_url: `s3://recordings/${key}`,
    })
    .where('id', '=', a.id)
    .execute();
  return a.id;
}

const row = (id: string) =>
  rt.db
    .selectFrom('attempts')
    .select(['transcript', 'recording_url'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('retention', () => {
  it("deletes transcripts and recordings older than the org's retention and keeps younger ones", async () => {
    const old = await endedAttempt(90, 100, 'calls/old.ogg');
    const young = await endedAttempt(90, 10, 'calls/young.ogg');
    const shortOrg = await endedAttempt(5, 10, 'calls/short.ogg');
    const result = await runRetention(rt.db, createObjectStore(rt.config), rt.log);
    expect(result).toEqual({ transcripts: 2, recordings: 2, failed: 0 });
    expect(await row(old)).toEqual({ transcript: null, recording_url: null });
    expect(await row(shortOrg)).toEqual({ transcript: null, recording_url: null });
    expect(await row(young)).toMatchObject({ recording_url: 's3://recordings/calls/young.ogg' });
    expect(await exists('calls/old.ogg')).toBe(false);
    expect(await exists('calls/short.ogg')).toBe(false);
    expect(await exists('calls/young.ogg')).toBe(true);
    expect(await runRetention(rt.db, createObjectStore(rt.config), rt.log)).toEqual({
      transcripts: 0,
      recordings: 0,
      failed: 0,
    });
  });

  it('keeps the recording link when the object store is not configured, and clears the transcript', async () => {
    const id = await endedAttempt(1, 3, 'calls/kept.ogg');
    const result = await runRetention(rt.db, null, rt.log);
    expect(result.failed).toBeGreaterThanOrEqual(1);
    expect(await row(id)).toEqual({ transcript: null, recording_url: 's3://recordings/calls/kept.ogg' });
    expect(await exists('calls/kept.ogg')).toBe(true);
  });

  it('schedules retention daily on the maintenance queue', async () => {
    const m = await startMaintenance(rt, { retention: () => Promise.resolve(null), sweepEveryMs: 60_000 });
    try {
      const schedulers = await m.queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.pattern ?? s.every])).toEqual(
        expect.arrayContaining([
          ['sinks-retention', '17 3 * * *'],
          ['sinks-sweep', 60_000],
        ]),
      );
    } finally {
      await m.close();
    }
  });
});
