// The role processes of the chaos run: `node <entry> <role>` children (the compiled CLI, so a
// restart does not transpile TypeScript again) with their output in one log file per process
// generation. A slot can be SIGKILLed and restarted; a child that dies on
// its own is restarted too and counted, since a role should not crash under these faults.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { RoleName } from './fault-schedule.js';

export interface ProcessEvent {
  role: RoleName;
  index: number;
  pid: number;
  /** Date.now() of the SIGKILL or of the unexpected exit. */
  at: number;
  kind: 'killed' | 'crashed' | 'stopped';
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RoleSlot {
  role: RoleName;
  index: number;
  pid: number | null;
  running: boolean;
}

export interface ProcessFleet {
  slots(): readonly RoleSlot[];
  /** SIGKILLs the slot's process; resolves once it is gone. False when it was not running. */
  kill(role: RoleName, index: number): Promise<boolean>;
  restart(role: RoleName, index: number): void;
  /** Every kill, crash and stop so far. */
  events: ProcessEvent[];
  /**
   * SIGTERM, SIGKILL after `graceMs`; no restarts afterwards. Roles stop group by group in the
   * given order (producers of work first, so what is in flight drains into roles still running).
   */
  stopAll(graceMs: number, order?: readonly (readonly RoleName[])[]): Promise<void>;
  /** Last resort on harness exit: SIGKILL whatever is left, synchronously. */
  killAllNow(): void;
}

interface Slot extends RoleSlot {
  child: ChildProcess | null;
  generation: number;
  /** Set while we are the ones ending the process, so its exit is not counted as a crash. */
  ending: 'killed' | 'stopped' | null;
}

export interface FleetOptions {
  root: string;
  /** The CLI script each child runs with its role as argument (e.g. dist/cli.js). */
  entry: string;
  logDir: string;
  processes: Readonly<Record<RoleName, number>>;
  env: (role: RoleName, index: number) => Record<string, string>;
  /** Restart a crashed child after this long (kills are restarted by the caller). */
  crashRestartMs: number;
  onCrash?: (e: ProcessEvent) => void;
}

export function startFleet(opts: FleetOptions): ProcessFleet {
  mkdirSync(opts.logDir, { recursive: true });
  const slots: Slot[] = [];
  const events: ProcessEvent[] = [];
  let stopping = false;

  const spawnSlot = (slot: Slot): void => {
    slot.generation += 1;
    const out = openSync(join(opts.logDir, `${slot.role}-${slot.index}-${slot.generation}.log`), 'a');
    const child = spawn(process.execPath, [opts.entry, slot.role], {
      cwd: opts.root,
      env: { ...process.env, ...opts.env(slot.role, slot.index) },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    slot.child = child;
    slot.pid = child.pid ?? null;
    slot.running = true;
    slot.ending = null;
    child.once('exit', (code, signal) => {
      const kind = slot.ending ?? 'crashed';
      const e: ProcessEvent = { role: slot.role, index: slot.index, pid: child.pid ?? -1, at: Date.now(), kind, code, signal };
      if (kind !== 'killed') events.push(e); // kills are recorded at the SIGKILL itself
      if (slot.child === child) {
        slot.running = false;
        slot.child = null;
      }
      if (kind === 'crashed' && !stopping) {
        opts.onCrash?.(e);
        setTimeout(() => {
          if (!stopping && !slot.running) spawnSlot(slot);
        }, opts.crashRestartMs).unref();
      }
    });
  };

  for (const role of Object.keys(opts.processes) as RoleName[]) {
    for (let index = 0; index < opts.processes[role]; index++) {
      const slot: Slot = { role, index, pid: null, running: false, child: null, generation: 0, ending: null };
      slots.push(slot);
      spawnSlot(slot);
    }
  }
  const find = (role: RoleName, index: number): Slot | undefined => slots.find((s) => s.role === role && s.index === index);
  const gone = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });

  return {
    events,
    slots: () => slots.map(({ role, index, pid, running }) => ({ role, index, pid, running })),
    async kill(role, index) {
      const slot = find(role, index);
      const child = slot?.child;
      if (!slot || !child || !slot.running) return false;
      slot.ending = 'killed';
      const exit = gone(child);
      child.kill('SIGKILL');
      events.push({ role, index, pid: child.pid ?? -1, at: Date.now(), kind: 'killed', code: null, signal: 'SIGKILL' });
      await exit;
      return true;
    },
    restart(role, index) {
      const slot = find(role, index);
      if (slot && !slot.running && !stopping) spawnSlot(slot);
    },
    async stopAll(graceMs, order = [Object.keys(opts.processes) as RoleName[]]) {
      stopping = true;
      const stop = async (slot: Slot): Promise<void> => {
        const child = slot.child;
        if (!child || !slot.running) return;
        slot.ending = 'stopped';
        const exit = gone(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      };
      const rest = slots.filter((s) => !order.some((group) => group.includes(s.role)));
      for (const group of [...order.map((g) => slots.filter((s) => g.includes(s.role))), rest]) {
        await Promise.all(group.map(stop));
      }
    },
    killAllNow() {
      stopping = true;
      for (const slot of slots) {
        if (slot.child && slot.running) slot.child.kill('SIGKILL');
      }
    },
  };
}
