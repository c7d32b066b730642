// `outdial demo`: a whole campaign on the Sim telephony adapter in one process, through the
// public API: a demo org, a one-way and a two-way campaign with a batch each, a DNC entry, a
// signature-verifying webhook receiver, then the pipeline runs until every contact is finished
// or waiting (for a retry or for its calling window). The end-to-end test drives the same code.
// `--telephony livekit` runs the same code with real calls: scripts/livekit-stack/demo.ts starts
// the stack and passes a DemoTelephony in place of the Sim.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { campaignInputSchema, type CampaignConfig, type Schedule } from '../core/campaign.js';
import { loadConfig, type Config } from '../core/config.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { createLogger } from '../core/logger.js';
import { createRuntime, type Runtime } from '../core/runtime.js';
import { newWebhookSecret } from '../core/secrets.js';
import type { ImportReport } from '../producers/import/import-report.js';
import { startRoles, type RunningRoles } from '../roles.js';
import { generateContactsCsv } from './contacts.js';
import { ApiClient } from './api-client.js';
import { freeLoopbackPort } from '../core/free-port.js';
import { ensurePostgres, ensureRedis, type LocalService } from './local-services.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

export const examplesDir = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples');

export interface DemoOptions {
  /** Generate this many contacts per batch instead of examples/contacts.csv. */
  contacts?: number;
  seed?: number;
  /** Factor on the Sim's call durations (1 = realistic seconds). */
  timeScale?: number;
  port?: number;
  orgLimit?: number;
  batchLimit?: number;
  env?: Record<string, string | undefined>;
  logLevel?: string;
  /** Real telephony in place of the Sim; unset: the Sim. */
  telephony?: DemoTelephony;
}

/** What a real telephony stack changes in the demo (the stack itself is started by its launcher). */
export interface DemoTelephony {
  /** Settings on top of the demo's own: OUTDIAL_TELEPHONY, LIVEKIT_*, OUTDIAL_SIP_TRUNK_*, … */
  env: Record<string, string>;
  /** Fits an example campaign to the stack (e.g. no recording where there is no egress). */
  campaign(campaign: CampaignConfig): CampaignConfig;
  /** Batch i's contacts, with numbers that reach the stack's phones. */
  contactsCsv(schedule: Schedule, batchIndex: number, at: Date): string;
  /** Starts what calls need beyond the roles (the agent worker) once the demo's settings are known; resolves with its stop. */
  start(config: Config): Promise<() => Promise<void>>;
  /** The roles' log (at info) goes to this file instead of the terminal, next to the stack's logs. */
  logFile: string;
}

export interface Demo {
  rt: Runtime;
  roles: RunningRoles;
  receiver: WebhookReceiver;
  apiUrl: string;
  orgId: string;
  batchIds: string[];
  imports: ImportReport[];
  startedAt: number;
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

async function demoDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `outdial_demo_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

function readCampaign(file: string) {
  return campaignInputSchema.parse(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const base: Config = loadConfig(opts.env ?? process.env);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined); // best effort on the way out
  };
  try {
    const pgService: LocalService = await ensurePostgres(base.DATABASE_URL);
    cleanups.push(() => pgService.stop());
    const redisService: LocalService = await ensureRedis(base.REDIS_URL);
    cleanups.push(() => redisService.stop());
    const database = await demoDatabase(pgService.url);
    cleanups.push(() => database.drop());

    const adminToken = randomBytes(32).toString('base64url');
    const config = loadConfig({
      ...(opts.env ?? process.env),
      DATABASE_URL: database.url,
      REDIS_URL: redisService.url,
      OUTDIAL_REDIS_PREFIX: `outdial-demo-${randomBytes(3).toString('hex')}`,
      OUTDIAL_ADMIN_TOKEN: adminToken,
      OUTDIAL_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      OUTDIAL_TELEPHONY: 'sim',
      OUTDIAL_WEBHOOK_ALLOW_PRIVATE: 'true', // the demo's receiver is on loopback
      OUTDIAL_SIM_SEED: String(opts.seed ?? 7),
      OUTDIAL_SIM_TIME_SCALE: String(opts.timeScale ?? 0.25),
      LOG_LEVEL: opts.logLevel ?? (opts.telephony ? 'info' : 'warn'),
      ...opts.telephony?.env,
    });
    const destination = opts.telephony ? pino.destination({ dest: opts.telephony.logFile, sync: true }) : undefined;
    const rt = createRuntime(config, { log: createLogger({ level: config.LOG_LEVEL, name: 'demo', ...(destination ? { destination } : {}) }) });
    cleanups.push(() => rt.close());
    await migrateToLatest(rt.db);

    // Started before the roles so it stops after them: the calls they drain still have their agent.
    if (opts.telephony) cleanups.push(await opts.telephony.start(config));
    const port = opts.port ?? ((await portFree(config.PORT)) ? config.PORT : await freeLoopbackPort());
    const roles = await startRoles(rt, ['sinks', 'dialer', 'scheduler', 'api'], { port });
    cleanups.push(() => roles.close());
    const apiUrl = roles.apiUrl!;

    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    cleanups.push(() => receiver.close());

    const setup = await populate(new ApiClient(apiUrl, adminToken), receiver.url, secret, opts);
    return {
      rt,
      roles,
      receiver,
      apiUrl,
      ...setup,
      startedAt: Date.now(),
      snapshot: () => takeSnapshot(rt.db, setup.orgId, setup.batchIds),
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function populate(admin: ApiClient, hookUrl: string, secret: string, opts: DemoOptions) {
  const org = await admin.request<{ id: string; apiKey: string }>('POST', '/v1/orgs', {
    name: 'Demo Pharmacy Group',
    maxConcurrency: opts.orgLimit ?? 20,
  });
  const api = admin.withToken(org.apiKey);
  await api.request('POST', '/v1/dnc', { phones: ['+12125550199'] });
  await api.request('POST', '/v1/webhooks', { url: hookUrl, events: ['*'], secret });

  const campaigns = [readCampaign('campaign-one-way.json'), readCampaign('campaign-two-way.json')];
  const batchIds: string[] = [];
  const imports: ImportReport[] = [];
  for (const [i, example] of campaigns.entries()) {
    const campaign = opts.telephony?.campaign(example) ?? example;
    if (opts.contacts !== undefined) campaign.schedule.weekly.sun ??= [['10:00', '18:00']];
    const created = await api.request<{ id: string }>('POST', '/v1/campaigns', campaign);
    const csv = opts.telephony
      ? opts.telephony.contactsCsv(campaign.schedule, i, new Date())
      : opts.contacts === undefined
        ? readFileSync(join(examplesDir, 'contacts.csv'), 'utf8')
        : generateContactsCsv(opts.contacts, campaign.schedule, new Date(), { seed: (opts.seed ?? 7) + i }).csv;
    const query = new URLSearchParams({ name: `${campaign.name} batch`, maxConcurrency: String(opts.batchLimit ?? 10) });
    const report = await api.request<ImportReport>(
      'POST',
      `/v1/campaigns/${created.id}/batches?${query.toString()}`,
      csv,
      'text/csv',
    );
    await api.request('POST', `/v1/batches/${report.batchId}/start`, {});
    batchIds.push(report.batchId);
    imports.push(report);
  }
  return { orgId: org.id, batchIds, imports };
}
