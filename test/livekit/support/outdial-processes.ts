// outdial's roles as real processes for the pipeline test: `node bin/outdial.js <args>` children
// (the same entry point an operator runs), each with its output in its own log file. The chaos
// harness (test/chaos/processes.ts) kills and restarts a fleet; here each role runs once and is
// stopped with SIGTERM at the end, so its drain is exercised too.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');

export interface OutdialProcess {
  name: string;
  logPath: string;
  child: ChildProcess;
  /** The process's JSON log lines so far (pino), other lines skipped. */
  logLines(): Promise<Record<string, unknown>[]>;
  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code (null: killed). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  /**
   * Run it in a process group of its own, and stop the whole group: what it forked (the agent's
   * job and inference processes) is stopped even when it exits without stopping them.
   */
  processGroup?: boolean;
}

export function spawnOutdial(name: string, args: string[], env: Record<string, string>, logDir: string, opts: SpawnOptions = {}): OutdialProcess {
  const logPath = join(logDir, `${name}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(process.execPath, [join(root, 'bin', 'outdial.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
    detached: opts.processGroup ?? false,
  });
  closeSync(out);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    name,
    logPath,
    child,
    async logLines() {
      const text = await readFile(logPath, 'utf8').catch(() => '');
      return text.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return []; // a line still being written
        }
      });
    },
    async stop(graceMs = 20_000) {
      let code = child.exitCode;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        code = await exited;
        clearTimeout(timer);
      }
      if (opts.processGroup && child.pid !== undefined) killGroup(child.pid);
      return code;
    },
  };
}

/** SIGKILL to every process left in the group; none left is the usual case. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

