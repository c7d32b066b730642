// Zero set-up for the demo: when Postgres or Redis is not reachable at the configured URL, start a
// private throwaway instance from the local binaries (redis-server; initdb + postgres on a free
// port and a private socket directory) and remove it on exit. When neither a server nor the
// binaries exist, stop with one message saying what to install.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from '../core/free-port.js';

export class MissingServicesError extends Error {
  override readonly name = 'MissingServicesError';
}

export interface LocalService {
  url: string;
  /** True when this process started the service and will remove it. */
  started: boolean;
  stop(): Promise<void>;
}

function which(names: string[], extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs];
  for (const name of names) for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return null;
}

function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

export async function redisReachable(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  r.on('error', () => undefined); // reachability probe: a refused connection is the answer, not an error
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false; // unreachable is an expected answer here
  } finally {
    r.disconnect();
  }
}

export async function postgresReachable(url: string): Promise<boolean> {
  const u = new URL(url);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 1500 });
  c.on('error', () => undefined); // same: a failed probe is an answer
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false; // unreachable or refused: the caller starts its own
  } finally {
    await c.end().catch(() => undefined);
  }
}

function stopChild(child: ChildProcess, dir: string | null): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGINT'); // postgres: fast shutdown; redis: save nothing and exit
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export async function ensureRedis(url: string): Promise<LocalService> {
  if (await redisReachable(url)) return { url, started: false, stop: () => Promise.resolve() };
  const bin = which(['redis-server']);
  if (!bin) throw missing();
  const port = await freeLoopbackPort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const local = `redis://127.0.0.1:${port}`;
  await until(() => redisReachable(local), 10_000, 'redis-server');
  return { url: local, started: true, stop: () => stopChild(child, null) };
}

export async function ensurePostgres(url: string): Promise<LocalService> {
  if (await postgresReachable(url)) return { url, started: false, stop: () => Promise.resolve() };
  const dirs = postgresBinDirs();
  const initdb = which(['initdb'], dirs);
  const postgres = which(['postgres'], dirs);
  if (!initdb || !postgres) throw missing();
  const dir = mkdtempSync(join(tmpdir(), 'outdial-pg-'));
  const data = join(dir, 'data');
  // Postgres refuses to run as root: as root, run it as an unprivileged system user.
  const ids = process.getuid?.() === 0 ? unprivilegedIds() : undefined;
  if (ids) chownSync(dir, ids.uid, ids.gid);
  await run(initdb, ['-D', data, '--auth', 'trust', '--encoding', 'UTF8', '--no-sync', '--username', 'postgres'], ids);
  const port = await freeLoopbackPort();
  const child = spawn(
    postgres,
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { stdio: 'ignore', ...ids },
  );
  const local = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await until(() => postgresReachable(local), 20_000, 'postgres');
  return { url: local, started: true, stop: () => stopChild(child, dir) };
}

function unprivilegedIds(): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const fields = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (fields?.[2] && fields[3]) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new MissingServicesError('running as root and no unprivileged user (postgres, nobody) to run Postgres as');
}

function run(bin: string, args: string[], ids?: { uid: number; gid: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], ...ids });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} failed: ${err.trim()}`))));
  });
}

function missing(): MissingServicesError {
  return new MissingServicesError(
    'outdial demo needs Postgres and Redis: none is reachable at DATABASE_URL / REDIS_URL and no local binaries were found.\n' +
      'Install them (Debian/Ubuntu: `sudo apt-get install postgresql redis-server`, macOS: `brew install postgresql redis`)\n' +
      'or start them with `docker compose up -d postgres redis`.',
  );
}
