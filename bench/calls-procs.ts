// CPU and memory of process trees, read from /proc (Linux). A tree's CPU time counts every
// living process's own time plus, through each process's cutime/cstime, every child it has
// already reaped: a job process that ended mid-level is still counted, once, in its parent.
import { readdir, readFile } from 'node:fs/promises';

/** USER_HZ: /proc reports CPU times in clock ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** Own user + system time, seconds. */
  cpuSeconds: number;
  /** User + system time of reaped children, seconds. */
  childrenCpuSeconds: number;
}

/** Parses one /proc/<pid>/stat line; null for anything else. The command may hold spaces and ')'. */
export function parseProcStat(line: string): ProcStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  // Fields from the 3rd (state) on; utime is the 14th field overall, so index 11 here.
  const f = line.slice(close + 2).split(' ');
  const num = (i: number): number => Number(f[i]);
  const values = [num(1), num(11), num(12), num(13), num(14)];
  if (!Number.isInteger(pid) || values.some((v) => !Number.isFinite(v))) return null;
  const [ppid = 0, utime = 0, stime = 0, cutime = 0, cstime = 0] = values;
  return {
    pid,
    comm: line.slice(open + 1, close),
    ppid,
    cpuSeconds: (utime + stime) / TICKS_PER_SECOND,
    childrenCpuSeconds: (cutime + cstime) / TICKS_PER_SECOND,
  };
}

/** VmRSS of a /proc/<pid>/status text, in MB; 0 when absent (a zombie). */
export function parseRssMb(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

/** Pss of a /proc/<pid>/smaps_rollup text (shared pages split among their users), in MB. */
export function parsePssMb(smapsRollup: string): number {
  const m = /^Pss:\s+(\d+)\s+kB$/m.exec(smapsRollup);
  return m ? Number(m[1]) / 1024 : 0;
}

/** A process's proportional set size; null when it is gone. */
export async function readPssMb(pid: number): Promise<number | null> {
  try {
    return parsePssMb(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return null;
  }
}

/** MemAvailable of /proc/meminfo, in MB. */
export async function memAvailableMb(): Promise<number> {
  const m = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(await readFile('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export interface ProcSample extends ProcStat {
  rssMb: number;
}

/** Every process now, with its RSS. Processes that end while being read are skipped. */
export async function readAllProcs(): Promise<ProcSample[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const out = await Promise.all(
    pids.map(async (pid): Promise<ProcSample | null> => {
      try {
        const [stat, status] = await Promise.all([
          readFile(`/proc/${pid}/stat`, 'utf8'),
          readFile(`/proc/${pid}/status`, 'utf8'),
        ]);
        const parsed = parseProcStat(stat);
        return parsed ? { ...parsed, rssMb: parseRssMb(status) } : null;
      } catch {
        return null; // exited between readdir and read
      }
    }),
  );
  return out.filter((p): p is ProcSample => p !== null);
}

/** The process `root` and all its descendants, from one snapshot. */
export function treeOf(all: readonly ProcSample[], root: number): ProcSample[] {
  const children = new Map<number, ProcSample[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcSample[] = [];
  const queue = all.filter((p) => p.pid === root);
  while (queue.length > 0) {
    const p = queue.shift() as ProcSample;
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

export interface TreeUsage {
  /** CPU seconds since the processes started, reaped children included. */
  cpuSeconds: number;
  rssMb: number;
  processes: number;
}

export function treeUsage(tree: readonly ProcSample[]): TreeUsage {
  return {
    cpuSeconds: tree.reduce((s, p) => s + p.cpuSeconds + p.childrenCpuSeconds, 0),
    rssMb: tree.reduce((s, p) => s + p.rssMb, 0),
    processes: tree.length,
  };
}
