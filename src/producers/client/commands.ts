// The client commands as plain functions (config and output passed in, so tests drive them
// without a shell): org create, campaign create, batch create (streamed upload with a progress
// bar, optional start), batch status (once, or watched until the batch is done), batch
// start / pause / resume / cancel and keys create / list / revoke.
import { readFile } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import type { clientBatchActions } from '../../core/batch-lifecycle.js';
import { callApi, uploadFile } from './api-client.js';
import { watchBatch, type BatchStatusBody } from './batch-watch.js';
import type { ImportReport } from '../import/import-report.js';
import type { ClientConfig } from './config.js';

export interface ClientIo {
  /** Results: one JSON document per command (the last line when watching). */
  out: (line: string) => void;
  /** Where progress draws: a bar on a TTY; elsewhere the upload shows none and a watch writes plain lines. */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  sleep?: (ms: number) => Promise<void>;
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

export async function orgCreate(
  config: ClientConfig,
  io: ClientIo,
  opts: { name: string; maxConcurrency: number },
) {
  const created = await callApi<{ id: string; apiKey: string }>(config, {
    method: 'POST',
    path: '/v1/orgs',
    body: opts,
    credential: 'admin',
  });
  io.out(json(created));
  return created;
}

export async function campaignCreate(config: ClientConfig, io: ClientIo, opts: { file: string }) {
  const body: unknown = JSON.parse(await readFile(opts.file, 'utf8'));
  const created = await callApi<{ id: string }>(config, { method: 'POST', path: '/v1/campaigns', body });
  io.out(json(created));
  return created;
}

export async function batchCreate(
  config: ClientConfig,
  io: ClientIo,
  opts: {
    campaignId: string;
    file: string;
    name: string;
    maxConcurrency: number;
    startAt?: string;
    start?: boolean;
    map?: string;
  },
) {
  const query = new URLSearchParams({ name: opts.name, maxConcurrency: String(opts.maxConcurrency) });
  if (opts.startAt) query.set('startAt', opts.startAt);
  if (opts.map) query.set('map', opts.map);
  const bar = new SingleBar(
    { stream: io.progress, format: 'upload [{bar}] {percentage}% | {value}/{total} bytes', etaBuffer: 50 },
    Presets.shades_classic,
  );
  let started = false;
  try {
    const report = await uploadFile<ImportReport>(config, {
      path: `/v1/campaigns/${encodeURIComponent(opts.campaignId)}/batches?${query.toString()}`,
      file: opts.file,
      contentType: 'text/csv',
      onBytes: (sent, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(sent);
      },
    });
    bar.stop();
    const result: ImportReport & { status?: string } = { ...report };
    if (opts.start) {
      const r = await callApi<{ status: string }>(config, {
        method: 'POST',
        path: `/v1/batches/${report.batchId}/start`,
      });
      result.status = r.status;
    }
    io.out(json(result));
    return result;
  } finally {
    bar.stop();
  }
}

/** Prints the status; with `watch`, follows it until the batch completes or is cancelled (batch-watch.ts). */
export async function batchStatus(
  config: ClientConfig,
  io: ClientIo,
  opts: { id: string; watch?: boolean; intervalMs?: number },
) {
  const status = opts.watch
    ? await watchBatch(config, io, { id: opts.id, ...(opts.intervalMs ? { intervalMs: opts.intervalMs } : {}) })
    : await callApi<BatchStatusBody>(config, { method: 'GET', path: `/v1/batches/${encodeURIComponent(opts.id)}` });
  io.out(json(status));
  return status;
}

export type BatchActionName = (typeof clientBatchActions)[number];

/** Starts, pauses, resumes or cancels a batch (POST /v1/batches/:id/<action>); prints the result. */
export async function batchAction(config: ClientConfig, io: ClientIo, opts: { id: string; action: BatchActionName }) {
  const result = await callApi<{ id: string; status: string; cancelledContacts?: number }>(config, {
    method: 'POST',
    path: `/v1/batches/${encodeURIComponent(opts.id)}/${opts.action}`,
  });
  io.out(json(result));
  return result;
}

export type KeyRole = 'admin' | 'manager' | 'viewer';

/** Creates an API key with a role; prints it (the key is shown once). Needs an admin key. */
export async function keysCreate(config: ClientConfig, io: ClientIo, opts: { name: string; role: KeyRole }) {
  const created = await callApi<{ id: string; key: string; role: KeyRole }>(config, {
    method: 'POST',
    path: '/v1/keys',
    body: opts,
  });
  io.out(json(created));
  return created;
}

export async function keysList(config: ClientConfig, io: ClientIo) {
  const list = await callApi<{
    items: { id: string; name: string; role: KeyRole; createdAt: string; lastUsedAt: string | null }[];
  }>(config, { method: 'GET', path: '/v1/keys' });
  io.out(json(list));
  return list;
}

/** Revokes a key at once (its console sessions too); the org's last admin key is refused (409). */
export async function keysRevoke(config: ClientConfig, io: ClientIo, opts: { id: string }) {
  await callApi<undefined>(config, { method: 'DELETE', path: `/v1/keys/${encodeURIComponent(opts.id)}` });
  const result = { id: opts.id, revoked: true };
  io.out(json(result));
  return result;
}
