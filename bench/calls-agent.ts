// outdial's agent role as its own process, exactly as deployed: `outdial agent start` (the
// LiveKit Agents worker, its job processes and the metrics relay, /metrics on a port of its own).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAllProcs, treeOf, treeUsage } from './calls-procs.js';
import { freeLoopbackPort } from '../src/core/free-port.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface AgentProcess {
  pid: number;
  port: number;
  /** CPU-seconds one warm job process cost to start (tsx, the framework, Silero), from the start-up. */
  processStartCpuSeconds: number;
  /** Wall time from spawn to every warm process ready. */
  readyMs: number;
  /** Where its stdout and stderr (pino JSON lines) go. */
  logPath: string;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface AgentProcessOptions {
  env: Record<string, string>;
  logPath: string;
  /** Job processes the worker keeps warm (OUTDIAL_AGENT_IDLE_PROCESSES). */
  idleProcesses: number;
  startTimeoutMs: number;
}

/** Starts the agent and returns once /readyz answers and its warm job processes have settled. */
export async function startAgentProcess(o: AgentProcessOptions): Promise<AgentProcess> {
  const port = await freeLoopbackPort();
  const log = createWriteStream(o.logPath, { flags: 'a' });
  const child = spawn(process.execPath, [join(repoRoot, 'bin/outdial.js'), 'agent', 'start'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...o.env,
      OUTDIAL_AGENT_PORT: String(port),
      OUTDIAL_AGENT_IDLE_PROCESSES: String(o.idleProcesses),
      OUTDIAL_SHUTDOWN_TIMEOUT_SECONDS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('outdial agent did not start');
  const spawnedAt = Date.now();
  const agent: AgentProcess = {
    pid,
    port,
    processStartCpuSeconds: 0,
    readyMs: 0,
    logPath: o.logPath,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    stop: () => stopTree(child, pid),
  };
  try {
    await waitReady(agent, child, o);
    agent.readyMs = Date.now() - spawnedAt;
    // Everything but the worker's own process went into starting the warm job processes.
    const tree = treeOf(await readAllProcs(), pid);
    const parent = tree.find((p) => p.pid === pid);
    const jobsCpu = treeUsage(tree).cpuSeconds - (parent?.cpuSeconds ?? 0);
    agent.processStartCpuSeconds = jobsCpu / o.idleProcesses;
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return agent;
}

async function waitReady(agent: AgentProcess, child: ChildProcess, o: AgentProcessOptions): Promise<void> {
  const deadline = Date.now() + o.startTimeoutMs;
  const alive = () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`outdial agent exited; see ${o.logPath}`);
    if (Date.now() > deadline) throw new Error(`outdial agent not ready in ${o.startTimeoutMs} ms; see ${o.logPath}`);
  };
  for (;;) {
    alive();
    const ok = await fetch(`http://127.0.0.1:${agent.port}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(250);
  }
  // Warm processes start one at a time and load Silero: ready once they all exist and the tree
  // has been quiet (under 5 % of a core) for two seconds.
  let lastCpu = -1;
  let quietSince = 0;
  for (;;) {
    alive();
    const usage = treeUsage(treeOf(await readAllProcs(), agent.pid));
    const now = Date.now();
    const quiet = lastCpu >= 0 && usage.cpuSeconds - lastCpu < 0.05 * 0.5;
    lastCpu = usage.cpuSeconds;
    if (usage.processes >= o.idleProcesses + 1 && quiet) {
      quietSince ||= now;
      if (now - quietSince >= 2_000) return;
    } else quietSince = 0;
    await sleep(500);
  }
}

async function stopTree(child: ChildProcess, pid: number): Promise<void> {
  const tree = treeOf(await readAllProcs(), pid).map((p) => p.pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(25_000)]);
  }
  // Job processes the worker did not close in time: these pids were started by this bench.
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
