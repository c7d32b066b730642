// The pure parts of bench:calls: /proc parsing and process-tree accounting, and the PromQL-style
// quantile it reads turn latency with.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketsCount, bucketsDelta, histogramBuckets, histogramQuantile } from '../../bench/calls-metrics.js';
import { parseProcStat, parsePssMb, parseRssMb, treeOf, treeUsage, type ProcSample } from '../../bench/calls-procs.js';

describe('parseProcStat', () => {
  it('reads ppid and CPU times after a command holding spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const line = '4242 (node (job) 1) S 4000 4000 11865 0 -1 4194304 102 0 0 0 250 50 30 20 20 0 1 0 373210 3133440 416';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'node (job) 1', ppid: 4000, cpuSeconds: 3, childrenCpuSeconds: 0.5 });
  });

  it('refuses what is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 (x) S')).toBeNull();
  });

  it('reads VmRSS and Pss in MB, 0 when absent', () => {
    expect(parseRssMb('Name:\tnode\nVmRSS:\t  204800 kB\nThreads: 11\n')).toBe(200);
    expect(parseRssMb('Name:\tzombie\n')).toBe(0);
    expect(parsePssMb('Rss:   2048 kB\nPss:    1024 kB\nPss_Anon: 512 kB\n')).toBe(1);
  });
});

const proc = (pid: number, ppid: number, cpu: number, children: number, rss: number): ProcSample => ({
  pid,
  ppid,
  comm: 'node',
  cpuSeconds: cpu,
  childrenCpuSeconds: children,
  rssMb: rss,
});

describe('treeOf / treeUsage', () => {
  it('takes the root and every descendant, nothing else, and counts reaped children once', () => {
    const all = [
      proc(1, 0, 100, 0, 10),
      proc(10, 1, 2, 5, 100), // the agent: 5 s of job processes already reaped
      proc(11, 10, 3, 0, 300),
      proc(12, 10, 1, 0, 250),
      proc(13, 12, 0.5, 0, 20),
      proc(20, 1, 50, 0, 999), // a neighbour
    ];
    const tree = treeOf(all, 10);
    expect(tree.map((p) => p.pid).sort()).toEqual([10, 11, 12, 13]);
    expect(treeUsage(tree)).toEqual({ cpuSeconds: 11.5, rssMb: 670, processes: 4 });
    expect(treeOf(all, 99)).toEqual([]);
  });
});

const METRICS = `# HELP outdial_turn_latency_seconds End of callee speech to first agent audio
# TYPE outdial_turn_latency_seconds histogram
outdial_turn_latency_seconds_bucket{le="0.2"} 0
outdial_turn_latency_seconds_bucket{le="0.4"} 2
outdial_turn_latency_seconds_bucket{le="0.6"} 6
outdial_turn_latency_seconds_bucket{le="1"} 10
outdial_turn_latency_seconds_bucket{le="+Inf"} 10
outdial_turn_latency_seconds_sum 5.5
outdial_turn_latency_seconds_count 10
outdial_amd_decision_seconds_bucket{le="1",result="human"} 3
`;

describe('histogram quantiles', () => {
  it('reads the buckets of one histogram only', () => {
    const b = histogramBuckets(METRICS, 'outdial_turn_latency_seconds');
    expect([...b]).toEqual([[0.2, 0], [0.4, 2], [0.6, 6], [1, 10], [Infinity, 10]]);
    expect(bucketsCount(b)).toBe(10);
  });

  it('interpolates inside the bucket holding the rank, like histogram_quantile', () => {
    const b = histogramBuckets(METRICS, 'outdial_turn_latency_seconds');
    // rank 5 of 10: 3rd of the 4 in (0.4, 0.6]
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.55, 10);
    // rank 9.5: (0.6, 1], 3.5 of 4 → 0.95
    expect(histogramQuantile(0.95, b)).toBeCloseTo(0.95, 10);
    expect(histogramQuantile(0.5, new Map())).toBeNull();
    // a rank in +Inf answers the highest finite bound
    expect(histogramQuantile(0.99, new Map([[1, 1], [Infinity, 10]]))).toBe(1);
  });

  it('a delta between scrapes holds only what was observed in between', () => {
    const before = histogramBuckets(METRICS, 'outdial_turn_latency_seconds');
    const later = new Map([...before].map(([le, n]) => [le, n + (le >= 0.6 ? 4 : 0)]));
    const delta = bucketsDelta(later, before);
    expect(bucketsCount(delta)).toBe(4);
    expect(histogramQuantile(0.5, delta)).toBeCloseTo(0.5, 10);
  });

  it('is monotone in q and stays within the finite bounds (seeded)', () => {
    const bounds = [0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 5];
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (counts, q1, q2) => {
        let sum = 0;
        const b = new Map([...bounds, Infinity].map((le, i) => [le, (sum += counts[i] ?? 0)]));
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        const a = histogramQuantile(lo, b);
        const z = histogramQuantile(hi, b);
        if (sum === 0) return a === null && z === null;
        return a !== null && z !== null && a <= z + 1e-12 && a >= 0 && z <= 5;
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});
