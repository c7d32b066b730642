// Private Postgres and Redis for the chaos run, on free loopback ports, started from the local
// binaries (as the `postgres` user when we are root). Unlike src/demo/local-services.ts these can
// be restarted and flushed: they are ours alone, never the machine's shared servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { postgresReachable, redisReachable } from '../../src/demo/local-services.js';

export interface PrivatePostgres {
  /** Superuser URL of the `outdial` database. */
  url: string;
  port: number;
  /** Immediate shutdown (like a crash), `downMs` with no server, then start again and wait until it answers. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrivateRedis {
  url: string;
  port: number;
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

function which(name: string, extraDirs: string[] = []): string {
  const dirs = [...extraDirs, ...(process.env.PATH ?? '').split(':')];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  throw new Error(`${name} not found: install Postgres and Redis (apt-get install postgresql redis-server)`);
}

function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const fields = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (fields?.[2] && fields[3]) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error('running as root and no unprivileged user (postgres, nobody) to run Postgres as');
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms`);
}

function runToEnd(bin: string, args: string[], ids?: { uid: number; gid: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], ...ids });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} failed: ${err.trim()}`))));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/** Sends `signal`, and SIGKILL if the process is still there after `graceMs`. */
async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dirs = postgresBinDirs();
  const initdb = which('initdb', dirs);
  const postgres = which('postgres', dirs);
  const dir = mkdtempSync(join(tmpdir(), 'outdial-chaos-pg-'));
  const data = join(dir, 'data');
  const ids = unprivilegedIds();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  await runToEnd(initdb, ['-D', data, '--auth', 'trust', '--encoding', 'UTF8', '--no-sync', '--username', 'postgres'], ids);
  const port = await freeLoopbackPort();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // fsync off is safe here: writes still reach the OS, which does not crash under us. Never
  // synchronous_commit=off: an immediate shutdown would drop commits the roles were told about.
  const args = [
    '-D', data, '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off',
    '-c', 'full_page_writes=off', '-c', 'max_connections=400', '-c', 'shared_buffers=256MB',
  ];
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = spawn(postgres, args, { stdio: 'ignore', ...ids });
    await until(() => postgresReachable(adminUrl), 30_000, 'private postgres');
  };
  await start();
  await runToEnd(which('psql', dirs), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', 'create database outdial']);
  const stop = async (): Promise<void> => {
    if (child) await stopProcess(child, 'SIGINT', 10_000);
    child = null;
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/outdial`,
    port,
    async restart(downMs) {
      // SIGQUIT = immediate shutdown: every connection drops at once, crash recovery on start.
      if (child) await stopProcess(child, 'SIGQUIT', 10_000);
      child = null;
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freeLoopbackPort();
  const child = spawn(
    which('redis-server'),
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '2000'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await until(() => redisReachable(url), 10_000, 'private redis');
  return {
    url,
    port,
    async flushAll() {
      const r = new Redis(url, { maxRetriesPerRequest: 3 });
      try {
        await r.flushall();
      } finally {
        r.disconnect();
      }
    },
    stop: () => stopProcess(child, 'SIGINT', 5_000),
  };
}
