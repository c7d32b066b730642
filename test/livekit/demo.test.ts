// `outdial demo --telephony livekit` as a user runs it (`node bin/outdial.js demo …`): real calls
// through livekit-server, livekit-sip and the sipp phones, the agent as its own process. It must
// settle with the JSON summary last and exit 0, and on the way out (settled, or Ctrl-C) leave no
// process of its own and no database behind.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../src/demo/run.js';
import { ADMIN_URL } from '../support/db.js';
import { waitFor } from '../support/wait.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

interface DemoRun {
  output: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function runDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [join(root, 'bin', 'outdial.js'), 'demo', '--telephony', 'livekit', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: ADMIN_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return {
    output: () => out,
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    kill: (signal) => child.kill(signal),
  };
}

/** Where the demo's stack writes its logs, and its LiveKit URL, from its first line. */
function stackOf(output: string): { logDir: string; wsUrl: string } | null {
  const m = /^LiveKit (ws:\/\/\S+) .* logs (\S+)$/m.exec(output);
  return m?.[1] && m[2] ? { wsUrl: m[1], logDir: m[2] } : null;
}

async function demoDatabases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ datname: string }>("select datname from pg_database where datname like 'outdial_demo_%'");
    return rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

/**
 * Processes still running that belong to this demo: the stack, sipp and tcpdump name its log
 * folder on their command line; the agent and its job processes carry its LIVEKIT_URL.
 */
async function leftovers(stack: { logDir: string; wsUrl: string }): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const read = (f: string) => readFile(`/proc/${pid}/${f}`, 'utf8').catch(() => '');
    const cmdline = (await read('cmdline')).split('\0').join(' ');
    const environ = (await read('environ')).split('\0');
    if (cmdline.includes(stack.logDir) || environ.includes(`LIVEKIT_URL=${stack.wsUrl}`)) found.push(`${pid}: ${cmdline.slice(0, 160)}`);
  }
  return found;
}

describe('npm run demo -- --telephony livekit', () => {
  it('places real calls until every contact is finished or waiting, prints the JSON summary last, exits 0 and leaves nothing behind', async () => {
    const before = await demoDatabases();
    const demo = runDemo(['--contacts', '4', '--until-done', '--timeout', '240']);
    const code = await demo.exited;
    const output = demo.output();
    expect(code, output.slice(-3000)).toBe(0);

    const last = output.trim().split('\n').at(-1) ?? '';
    const summary = JSON.parse(last) as DemoSummary;
    expect(summary.done).toBe(true);
    // Per batch: 4 planned contacts + one waiting for its window + the DNC number (suppressed).
    expect(summary.contacts).toBe(12);
    expect(summary.imports).toEqual([
      { accepted: 5, rejected: 1, duplicates: 1, suppressed: 1 },
      { accepted: 5, rejected: 1, duplicates: 1, suppressed: 1 },
    ]);
    // What the sipp phones did, as the real stack reported it: the one-way batch dials a person,
    // a voicemail box, a busy line (486) and one that declines (603).
    for (const outcome of ['completed', 'voicemail_left', 'busy', 'rejected']) {
      expect(summary.outcomes[outcome] ?? 0, `${outcome} in ${last}`).toBeGreaterThan(0);
    }
    expect(summary.webhooks.invalidSignatures).toBe(0);
    expect(summary.webhooks.dead).toBe(0);
    expect(summary.webhooks.received).toBe(summary.webhooks.delivered);
    expect(summary.webhooks.delivered).toBeGreaterThan(0);
    expect(summary.maxActive.batch.every((n, i) => n <= summary.maxActive.batchLimits[i]!)).toBe(true);

    const stack = stackOf(output);
    expect(stack).not.toBeNull();
    expect(await leftovers(stack!)).toEqual([]);
    expect((await demoDatabases()).filter((d) => !before.includes(d))).toEqual([]);
  }, 300_000);

  it('Ctrl-C mid-run stops the stack, the phones, the agent and the doubles and drops its database', async () => {
    const before = await demoDatabases();
    const demo = runDemo(['--contacts', '4']);
    // Interrupted once calls are under way (an attempt has an outcome).
    await waitFor(() => /outcomes: /.test(demo.output()), { timeoutMs: 180_000, intervalMs: 500, what: 'the first call outcome' });
    const stack = stackOf(demo.output());
    expect(stack).not.toBeNull();
    expect((await leftovers(stack!)).length).toBeGreaterThan(0);
    // Only the demo's own process, not its process group: it must stop its children itself.
    demo.kill('SIGINT');
    expect(await demo.exited, demo.output().slice(-3000)).toBe(0);
    expect(await leftovers(stack!)).toEqual([]);
    expect((await demoDatabases()).filter((d) => !before.includes(d))).toEqual([]);
  }, 300_000);
});
