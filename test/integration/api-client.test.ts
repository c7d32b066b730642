// The CLI client commands against a live API: org create (admin token), campaign create from a
// file, batch create (streamed upload, optional start), batch status (once and watched), keys
// create / list / revoke.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  batchAction,
  batchCreate,
  batchStatus,
  campaignCreate,
  keysCreate,
  keysList,
  keysRevoke,
  loadClientConfig,
  orgCreate,
  registerClientCommands,
  type ClientConfig,
  type ClientIo,
} from '../../src/producers/client/index.js';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness } from '../support/api.js';

let h: ApiHarness;
let server: Server;
let dir: string;
let url: string;

beforeAll(async () => {
  h = await createApiHarness('api_client');
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'outdial-client-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
  await h.teardown();
});

function io(): ClientIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), progress: new PassThrough() };
}

async function orgConfig(): Promise<ClientConfig> {
  const { apiKey } = await orgCreate(
    loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_ADMIN_TOKEN: ADMIN_TOKEN }),
    io(),
    { name: 'Client org', maxConcurrency: 4 },
  );
  return loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_API_KEY: apiKey });
}

async function campaignFile(): Promise<string> {
  const file = join(dir, 'campaign.json');
  await writeFile(file, JSON.stringify({ name: 'Rx', mode: 'one_way', message: 'Hi {{first_name}}' }));
  return file;
}

describe('client commands', () => {
  it('creates an org with the admin token and prints its key; a wrong token fails with the contract error', async () => {
    const out = io();
    const created = await orgCreate(
      loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_ADMIN_TOKEN: ADMIN_TOKEN }),
      out,
      { name: 'CLI', maxConcurrency: 2 },
    );
    expect(JSON.parse(out.lines[0]!)).toEqual(created);
    const wrong = orgCreate(loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_ADMIN_TOKEN: 'nope' }), io(), {
      name: 'CLI',
      maxConcurrency: 2,
    });
    await expect(wrong).rejects.toMatchObject({ name: 'ApiError', status: 401, code: 'unauthorized' });
    await expect(wrong).rejects.toBeInstanceOf(ApiError);
  });

  it('creates a campaign from a file, uploads a CSV as a batch and starts it', async () => {
    const config = await orgConfig();
    const campaign = await campaignCreate(config, io(), { file: await campaignFile() });
    const csv = join(dir, 'contacts.csv');
    const rows = Array.from({ length: 500 }, (_, i) => `+1202555${String(1000 + i)},Name${i}`);
    await writeFile(csv, ['phone,first_name', ...rows, 'bad,X'].join('\n'));
    const out = io();
    const report = await batchCreate(config, out, {
      campaignId: campaign.id,
      file: csv,
      name: 'upload',
      maxConcurrency: 2,
      start: true,
    });
    expect(report).toMatchObject({
      accepted: 500,
      rejected: 1,
      duplicates: 0,
      suppressed: 0,
      status: 'running',
    });
    expect(JSON.parse(out.lines[0]!)).toEqual(report);
  });

  it('reports an upload the API refuses as an ApiError with its code', async () => {
    const config = await orgConfig();
    const campaign = await campaignCreate(config, io(), { file: await campaignFile() });
    const csv = join(dir, 'no-phone.csv');
    await writeFile(csv, 'first_name\nAnn\n');
    await expect(
      batchCreate(config, io(), { campaignId: campaign.id, file: csv, name: 'x', maxConcurrency: 1 }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('watches a batch until it is cancelled, then prints its final status', async () => {
    const config = await orgConfig();
    const campaign = await campaignCreate(config, io(), { file: await campaignFile() });
    const csv = join(dir, 'watch.csv');
    await writeFile(csv, 'phone,first_name\n+12025550101,A\n+12025550102,B\n');
    const { batchId } = await batchCreate(config, io(), {
      campaignId: campaign.id,
      file: csv,
      name: 'w',
      maxConcurrency: 1,
      start: true,
    });
    const out = io();
    let polls = 0;
    // The watcher's sleep is where time would pass; the batch is cancelled during the second one.
    out.sleep = async () => {
      polls++;
      if (polls === 2)
        await h.http
          .post(`/v1/batches/${batchId}/cancel`)
          .set('authorization', `Bearer ${config.OUTDIAL_API_KEY}`)
          .expect(200);
    };
    const final = await batchStatus(config, out, { id: batchId, watch: true, intervalMs: 1 });
    expect(polls).toBe(2);
    expect(final).toMatchObject({ status: 'cancelled', counts: { total: 2, status: { cancelled: 2 } } });
    expect(out.lines).toHaveLength(1);
  });

  it('off a terminal, watches with one plain line per change saying why contacts wait', async () => {
    const config = await orgConfig();
    // Closed everywhere from yesterday to tomorrow (UTC dates), so every contact waits for its window.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const file = join(dir, 'closed.json');
    const weekly = Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['09:00', '17:00']]]),
    );
    await writeFile(
      file,
      JSON.stringify({
        name: 'Closed',
        mode: 'one_way',
        message: 'Hi',
        schedule: { timezoneFallback: 'UTC', weekly, blackoutDates: [day(-1), day(0), day(1)] },
      }),
    );
    const campaign = await campaignCreate(config, io(), { file });
    const csv = join(dir, 'closed.csv');
    await writeFile(csv, 'phone,first_name\n+12025550111,A\n+12025550112,B\n');
    const { batchId } = await batchCreate(config, io(), {
      campaignId: campaign.id,
      file: csv,
      name: 'closed',
      maxConcurrency: 1,
      start: true,
    });
    const retryAt = new Date(Date.now() + 3_600_000);
    await h.rt.db
      .updateTable('contacts')
      .set({ next_attempt_at: retryAt })
      .where('batch_id', '=', batchId)
      .where('phone', '=', '+12025550111')
      .execute();

    const out = io();
    let drawn = '';
    out.progress.on('data', (chunk: Buffer) => (drawn += chunk.toString('utf8')));
    let polls = 0;
    out.sleep = async () => {
      polls++;
      if (polls === 3)
        await h.http
          .post(`/v1/batches/${batchId}/cancel`)
          .set('authorization', `Bearer ${config.OUTDIAL_API_KEY}`)
          .expect(200);
    };
    await batchStatus(config, out, { id: batchId, watch: true, intervalMs: 1 });
    expect(polls).toBe(3);
    // No bar redraws (carriage returns, escape codes), and three identical polls print once.
    expect(drawn).not.toContain('\r');
    expect(drawn).not.toContain('\u001b');
    const lines = drawn.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\S+Z running 0\/2 done \| active 0\/1 \| waiting: 2 waiting for their calling window \(next opens at \S+Z\), 1 waiting for a retry \(next at (\S+)\)$/,
    );
    expect(lines[0]).toContain(`next at ${retryAt.toISOString()}`);
    const opens = /next opens at (\S+)\)/.exec(lines[0]!)![1]!;
    expect(Date.parse(opens)).toBeGreaterThan(Date.parse(`${day(2)}T00:00:00Z`) - 14 * 3_600_000);
    expect(lines[1]).toMatch(/^\S+Z cancelled 2\/2 done \| active 0\/1$/);
  });

  it('wires the commands into commander with their options', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerClientCommands(program, { OUTDIAL_API_URL: url, OUTDIAL_ADMIN_TOKEN: ADMIN_TOKEN });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await program.parseAsync(['org', 'create', '--name', 'Via CLI', '--max-concurrency', '3'], {
        from: 'user',
      });
      expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({
        apiKey: expect.stringMatching(/^od_/) as string,
      });
    } finally {
      log.mockRestore();
    }
    const row = await h.rt.db
      .selectFrom('orgs')
      .select('max_concurrency')
      .where('name', '=', 'Via CLI')
      .executeTakeFirstOrThrow();
    expect(row.max_concurrency).toBe(3);
    await expect(
      program.parseAsync(['org', 'create', '--name', 'X', '--max-concurrency', 'zero'], { from: 'user' }),
    ).rejects.toThrow();
  });

  it('pauses, resumes and cancels a batch over the API routes, and through commander', async () => {
    const config = await orgConfig();
    const campaign = await campaignCreate(config, io(), { file: await campaignFile() });
    const csv = join(dir, 'actions.csv');
    await writeFile(csv, 'phone,first_name\n+12025550121,A\n+12025550122,B\n');
    const { batchId } = await batchCreate(config, io(), { campaignId: campaign.id, file: csv, name: 'a', maxConcurrency: 1 });
    const started = io();
    expect(await batchAction(config, started, { id: batchId, action: 'start' })).toEqual({ id: batchId, status: 'running' });
    expect(JSON.parse(started.lines[0]!)).toEqual({ id: batchId, status: 'running' });
    expect(await batchAction(config, io(), { id: batchId, action: 'pause' })).toMatchObject({ status: 'paused' });
    expect(await batchAction(config, io(), { id: batchId, action: 'resume' })).toMatchObject({ status: 'running' });

    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerClientCommands(program, { OUTDIAL_API_URL: url, OUTDIAL_API_KEY: config.OUTDIAL_API_KEY });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await program.parseAsync(['batch', 'cancel', batchId], { from: 'user' });
      expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toEqual({ id: batchId, status: 'cancelled', cancelledContacts: 2 });
    } finally {
      log.mockRestore();
    }
    await expect(batchAction(config, io(), { id: batchId, action: 'resume' })).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
    });
  });

  it('marks required options as required in the help', () => {
    const program = new Command();
    registerClientCommands(program, {});
    const sub = (parent: Command, name: string) => parent.commands.find((c) => c.name() === name)!;
    const help = sub(sub(program, 'org'), 'create').helpInformation();
    expect(help).toMatch(/--name <name>\s+org name \(required\)/);
    expect(help).toMatch(/--max-concurrency <n>\s+calls in flight for the whole org \(required\)/);
    expect(sub(sub(program, 'batch'), 'create').helpInformation()).not.toContain('(required)');
  });

  it('creates, lists and revokes API keys; the revoked key stops working and the last admin key stays', async () => {
    const admin = await orgConfig();
    const out = io();
    const created = await keysCreate(admin, out, { name: 'reporting', role: 'viewer' });
    expect(created).toMatchObject({ role: 'viewer', key: expect.stringMatching(/^od_/) as string });
    expect(JSON.parse(out.lines[0]!)).toEqual(created);
    const viewer = loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_API_KEY: created.key });
    await expect(keysList(viewer, io())).rejects.toMatchObject({ status: 403, code: 'forbidden' });

    const listed = await keysList(admin, io());
    expect(listed.items.map((k) => [k.name, k.role])).toEqual([
      ['default', 'admin'],
      ['reporting', 'viewer'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);

    const revokeOut = io();
    await keysRevoke(admin, revokeOut, { id: created.id });
    expect(JSON.parse(revokeOut.lines[0]!)).toEqual({ id: created.id, revoked: true });
    await expect(keysList(viewer, io())).rejects.toMatchObject({ status: 401 });
    const own = listed.items.find((k) => k.role === 'admin')!;
    await expect(keysRevoke(admin, io(), { id: own.id })).rejects.toMatchObject({ status: 409, code: 'conflict' });
  });

  it('wires the keys commands into commander and refuses an unknown role before calling the API', async () => {
    const admin = await orgConfig();
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerClientCommands(program, { OUTDIAL_API_URL: url, OUTDIAL_API_KEY: admin.OUTDIAL_API_KEY });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await program.parseAsync(['keys', 'create', '--name', 'ops', '--role', 'manager'], { from: 'user' });
      const created = JSON.parse(String(log.mock.calls[0]?.[0])) as { id: string; role: string };
      expect(created.role).toBe('manager');
      await program.parseAsync(['keys', 'list'], { from: 'user' });
      const listed = JSON.parse(String(log.mock.calls[1]?.[0])) as { items: { id: string }[] };
      expect(listed.items.map((k) => k.id)).toContain(created.id);
      await program.parseAsync(['keys', 'revoke', created.id], { from: 'user' });
      expect(JSON.parse(String(log.mock.calls[2]?.[0]))).toEqual({ id: created.id, revoked: true });
    } finally {
      log.mockRestore();
    }
    await expect(
      program.parseAsync(['keys', 'create', '--name', 'x', '--role', 'owner'], { from: 'user' }),
    ).rejects.toThrow(/owner/);
  });

  it('prints every validation detail of a refused request with its field path', async () => {
    const config = await orgConfig();
    const file = join(dir, 'typo.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'Typo',
        mode: 'one_way',
        message: 'Hi',
        ringTimoutSeconds: 30,
        schedule: { timezoneFallback: 'Mars/Olympus' },
      }),
    );
    const refused = campaignCreate(config, io(), { file });
    await expect(refused).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    const message = await refused.catch((e: unknown) => (e as Error).message);
    expect(message).toContain('Unrecognized key: "ringTimoutSeconds"');
    expect(message).toContain('schedule.timezoneFallback: unknown IANA time zone');
  });

  it('names the variable behind a refused credential', async () => {
    const wrongAdmin = orgCreate(loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_ADMIN_TOKEN: 'nope' }), io(), {
      name: 'X',
      maxConcurrency: 1,
    });
    await expect(wrongAdmin).rejects.toThrow(/401[\s\S]*OUTDIAL_ADMIN_TOKEN/);
    const wrongKey = loadClientConfig({ OUTDIAL_API_URL: url, OUTDIAL_API_KEY: 'od_wrong' });
    await expect(batchStatus(wrongKey, io(), { id: crypto.randomUUID() })).rejects.toThrow(
      /401[\s\S]*OUTDIAL_API_KEY/,
    );
    const csv = join(dir, 'any.csv');
    await writeFile(csv, 'phone\n+12025550101\n');
    await expect(
      batchCreate(wrongKey, io(), { campaignId: crypto.randomUUID(), file: csv, name: 'x', maxConcurrency: 1 }),
    ).rejects.toThrow(/401[\s\S]*OUTDIAL_API_KEY/);
  });

  it('says which URL it tried and to set OUTDIAL_API_URL when the API is unreachable', async () => {
    // A port that was just free: nothing listens on it.
    const probe = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const down = `http://127.0.0.1:${port}`;
    const config = loadClientConfig({ OUTDIAL_API_URL: down, OUTDIAL_API_KEY: 'od_x' });
    const expected = new RegExp(`${down}.*ECONNREFUSED.*OUTDIAL_API_URL`);
    await expect(batchStatus(config, io(), { id: crypto.randomUUID() })).rejects.toThrow(expected);
    const csv = join(dir, 'down.csv');
    await writeFile(csv, 'phone\n+12025550101\n');
    await expect(
      batchCreate(config, io(), { campaignId: crypto.randomUUID(), file: csv, name: 'x', maxConcurrency: 1 }),
    ).rejects.toThrow(expected);
  });

  it('names the missing variable when a command has no key', async () => {
    await expect(
      batchStatus(loadClientConfig({ OUTDIAL_API_URL: url }), io(), { id: crypto.randomUUID() }),
    ).rejects.toThrow('OUTDIAL_API_KEY');
  });
});
