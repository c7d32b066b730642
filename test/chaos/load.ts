// `--load N`: N processes that keep a CPU core busy for the whole run, to show the roles settle in
// time on a machine that is busy with something else. Bounded: each stops on its own when the
// harness is gone (even SIGKILLed) or its time is up, and the harness stops them at the end.
import { spawn, type ChildProcess } from 'node:child_process';

// Spins in slices of 200 ms, checking between slices that the harness is alive and time is left.
const BUSY_LOOP = `
const [parent, until] = process.argv.slice(1).map(Number);
for (;;) {
  const slice = Date.now() + 200;
  while (Date.now() < slice);
  if (Date.now() > until) process.exit(0);
  try { process.kill(parent, 0); } catch { process.exit(0); }
}`;

export interface CpuLoad {
  processes: number;
  stop(): void;
}

export function startCpuLoad(n: number, maxMs: number): CpuLoad {
  const until = Date.now() + maxMs;
  const children: ChildProcess[] = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', BUSY_LOOP, String(process.pid), String(until)], { stdio: 'ignore' }),
  );
  return {
    processes: n,
    stop() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
