// npm run bench:import [-- --rows N]
// Generates a contacts CSV (mixed phone formats, ~1 % invalid, three US time-zone regions, some
// explicit zones), imports it through importCsvBatch (the API's code path) into a fresh
// database, then loads the same file with a bare COPY into a plain table as the floor.
// Last stdout line: {rows, seconds, rowsPerSec, copyRowsPerSec, ratioToCopy, peakRssMb}.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { campaignInputSchema } from '../src/core/campaign.js';
import { createDb, type Db } from '../src/core/db/client.js';
import { migrateToLatest } from '../src/core/db/migrate.js';
import { importCsvBatch } from '../src/producers/import/index.js';
import { seededRandom } from '../src/core/random.js';

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function argRows(): number {
  const i = process.argv.indexOf('--rows');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(n) || n < 1) throw new Error('--rows expects a positive integer');
  return n;
}

// New York (Eastern), Chicago (Central), San Francisco (Pacific).
const areaCodes = ['212', '312', '415'];
const zones = ['America/New_York', 'America/Chicago', 'America/Los_Angeles'];
const invalidPhones = ['555-12', 'call me', '+1 099 555 0100', '12345678901234567', ''];

function phoneFor(rand: () => number): string {
  if (rand() < 0.01) return invalidPhones[Math.floor(rand() * invalidPhones.length)]!;
  const area = areaCodes[Math.floor(rand() * 3)]!;
  const exchange = String(200 + Math.floor(rand() * 800));
  const line = String(Math.floor(rand() * 10_000)).padStart(4, '0');
  switch (Math.floor(rand() * 5)) {
    case 0:
      return `+1${area}${exchange}${line}`;
    case 1:
      return `"(${area}) ${exchange}-${line}"`;
    case 2:
      return `${area}.${exchange}.${line}`;
    case 3:
      return `1-${area}-${exchange}-${line}`;
    default:
      return `${area} ${exchange} ${line}`;
  }
}

function* csvLines(rows: number): Generator<string> {
  const rand = seededRandom(20_261_123);
  yield 'phone,name,first_name,store,timezone\n';
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const zone = rand() < 0.05 ? zones[Math.floor(rand() * 3)]! : '';
    buf += `${phoneFor(rand)},Contact ${i},First${i},Store #${i % 97},${zone}\n`;
    if (i % 1000 === 999) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `od_bench_import_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return { name, url: u.toString() };
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

async function seedCampaign(db: Db) {
  const org = await db
    .insertInto('orgs')
    .values({ name: 'bench', max_concurrency: 10 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const config = campaignInputSchema.parse({ name: 'bench', mode: 'one_way', message: 'Hi {{first_name}}, {{store}}.' });
  const campaign = await db
    .insertInto('campaigns')
    .values({ org_id: org.id, name: config.name, mode: config.mode, config: JSON.stringify(config) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('dnc')
    .values(Array.from({ length: 100 }, (_, i) => ({ org_id: org.id, phone: `+1212555${String(i).padStart(4, '0')}`, reason: 'bench' })))
    .execute();
  return { id: campaign.id, orgId: org.id, config };
}

async function bareCopy(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create table bare_contacts (phone text, name text, first_name text, store text, timezone text)');
    const started = performance.now();
    await pipeline(createReadStream(file), client.query(copyStreams.from('copy bare_contacts from stdin (format csv, header true)')));
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

/**
 * The schema's own floor: the imported rows copied again, already normalised, into a new batch
 * with one INSERT … SELECT (no parsing, no network), i.e. what the contacts table's foreign
 * keys and indexes cost on their own.
 */
async function contactsInsertFloor(url: string, batchId: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('create temp table floor_rows on commit drop as select * from contacts where batch_id = $1', [batchId]);
    const { rows } = await client.query<{ id: string }>(
      `insert into batches (org_id, campaign_id, name, max_concurrency)
       select org_id, campaign_id, 'floor', 1 from batches where id = $1 returning id`,
      [batchId],
    );
    const started = performance.now();
    await client.query(
      `insert into contacts (org_id, batch_id, phone, timezones, tz_source, name, variables, line, status, next_attempt_at)
       select org_id, $1, phone, timezones, tz_source, name, variables, line, status, next_attempt_at from floor_rows`,
      [rows[0]!.id],
    );
    const seconds = (performance.now() - started) / 1000;
    await client.query('rollback');
    return seconds;
  } finally {
    await client.end();
  }
}

/** CPU seconds used so far by this database's outdial backends (Postgres runs on this host). */
async function backendCpuSeconds(db: Db): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and application_name = 'outdial'`.execute(db);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    out.set(pid, (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100);
  }
  return out;
}

function cpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}

/** The measured part: importCsvBatch over the file, with its wall time, memory and CPU. */
async function timedImport(db: Db, file: string) {
  const campaign = await seedCampaign(db);
  const pgBefore = await backendCpuSeconds(db);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const meta = { name: 'bench', maxConcurrency: 10, startAt: null };
  const report = await importCsvBatch(db, campaign, meta, createReadStream(file), { maxBytes: 1024 ** 3 });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    report,
    seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
    postgresCpuSeconds: cpuSpent(pgBefore, await backendCpuSeconds(db)),
  };
}

async function main(): Promise<void> {
  const rows = argRows();
  const file = join(tmpdir(), `outdial-bench-import-${process.pid}.csv`);
  await pipeline(Readable.from(csvLines(rows)), createWriteStream(file));
  const database = await freshDatabase();
  const { db } = createDb(database.url, { max: 4 });
  try {
    await migrateToLatest(db);
    const run = await timedImport(db, file);
    const copySeconds = await bareCopy(database.url, file);
    const floorSeconds = await contactsInsertFloor(database.url, run.report.batchId);
    const { errors, ...counts } = run.report;
    console.log(JSON.stringify({ ...counts, firstErrors: errors.slice(0, 3) }));
    // Context for reading the figures on a shared machine: CPU of this process (main thread and
    // phone workers) and of its Postgres backends, the load average, and the contacts table's
    // own insert floor.
    console.log(
      JSON.stringify({
        nodeCpuSeconds: round(run.nodeCpuSeconds),
        postgresCpuSeconds: round(run.postgresCpuSeconds),
        loadAverage: loadavg().map(round),
        contactsInsertSelectSeconds: round(floorSeconds),
        bareCopySeconds: round(copySeconds),
      }),
    );
    console.log(
      JSON.stringify({
        rows,
        seconds: round(run.seconds),
        rowsPerSec: Math.round(rows / run.seconds),
        copyRowsPerSec: Math.round(rows / copySeconds),
        ratioToCopy: round(run.seconds / copySeconds),
        peakRssMb: Math.round(run.peakRssMb),
      }),
    );
  } finally {
    await db.destroy();
    await dropDatabase(database.name);
    await rm(file, { force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

await main();
