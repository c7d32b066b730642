// Concurrency limits checked after the fact: the placed calls' [start, end) intervals, grouped by
// org and by batch, swept in time order. A call that starts while its group already holds `limit`
// live calls is one violation; ends at the same instant as a start are taken first.

export interface CallInterval {
  /** The group the limit applies to (an org id or a batch id). */
  group: string;
  start: number;
  end: number;
}

export interface GroupPeak {
  group: string;
  limit: number;
  /** The most calls live at one instant. */
  peak: number;
  /** When the peak was first reached. */
  at: number;
  /** Calls that started with the group already at its limit. */
  violations: number;
}

export interface LimitReport {
  violations: number;
  /** Only the groups that went over their limit, worst first. */
  over: GroupPeak[];
}

/** The sweep for one group: peak concurrency and how many starts pushed it past `limit`. */
export function sweepGroup(group: string, intervals: readonly { start: number; end: number }[], limit: number): GroupPeak {
  // Empty or inverted intervals occupy no instant.
  const points: [number, 1 | -1][] = [];
  for (const { start, end } of intervals) {
    if (!(end > start)) continue;
    points.push([start, 1], [end, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let peak = 0;
  let at = Number.NaN;
  let violations = 0;
  for (const [t, delta] of points) {
    live += delta;
    if (delta === 1 && live > limit) violations += 1;
    if (live > peak) {
      peak = live;
      at = t;
    }
  }
  return { group, limit, peak, at, violations };
}

/** Every group with a known limit; a group without one is reported as a violation per call (unknown limit = 0). */
export function limitViolations(intervals: readonly CallInterval[], limitOf: (group: string) => number | undefined): LimitReport {
  const byGroup = new Map<string, CallInterval[]>();
  for (const iv of intervals) {
    const list = byGroup.get(iv.group);
    if (list) list.push(iv);
    else byGroup.set(iv.group, [iv]);
  }
  const over: GroupPeak[] = [];
  let violations = 0;
  for (const [group, list] of byGroup) {
    const peak = sweepGroup(group, list, limitOf(group) ?? 0);
    if (peak.violations > 0) {
      over.push(peak);
      violations += peak.violations;
    }
  }
  over.sort((a, b) => b.violations - a.violations || a.group.localeCompare(b.group));
  return { violations, over };
}
