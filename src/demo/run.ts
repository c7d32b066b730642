// The `outdial demo` command: start the demo, redraw the live view, and either exit with a JSON
// summary once everything is settled (--until-done) or keep the API, Bull Board and /metrics up
// until Ctrl-C.
import { attemptCount, renderSnapshot, type Snapshot } from './snapshot.js';
import { startDemo, type Demo, type DemoOptions } from './demo.js';

export interface DemoRunOptions extends DemoOptions {
  untilDone?: boolean;
  /** Give up (exit 1) after this long with --until-done. */
  timeoutMs?: number;
  out?: NodeJS.WriteStream;
}

export interface DemoSummary {
  done: boolean;
  elapsedMs: number;
  contacts: number;
  finished: number;
  waitingRetry: number;
  waitingWindow: number;
  suppressed: number;
  cancelled: number;
  /** Finished attempts; `outcomes` counts these (per attempt), the fields above count contacts. */
  attempts: number;
  outcomes: Record<string, number>;
  imports: { accepted: number; rejected: number; duplicates: number; suppressed: number }[];
  webhooks: { delivered: number; received: number; invalidSignatures: number; dead: number };
  maxActive: { org: number; orgLimit: number; batch: number[]; batchLimits: number[] };
}

export function summarise(demo: Demo, s: Snapshot, peaks: { org: number; batch: number[] }): DemoSummary {
  const sum = (f: (b: Snapshot['batches'][number]) => number) => s.batches.reduce((a, b) => a + f(b), 0);
  const outcomes: Record<string, number> = {};
  for (const b of s.batches) for (const [k, v] of Object.entries(b.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  return {
    done: s.done,
    elapsedMs: Date.now() - demo.startedAt,
    contacts: sum((b) => b.contacts),
    finished: sum((b) => b.finished),
    waitingRetry: sum((b) => b.waitingRetry),
    waitingWindow: sum((b) => b.waitingWindow),
    suppressed: sum((b) => b.suppressed),
    cancelled: sum((b) => b.cancelled),
    attempts: attemptCount(outcomes),
    outcomes,
    imports: demo.imports.map(({ accepted, rejected, duplicates, suppressed }) => ({ accepted, rejected, duplicates, suppressed })),
    webhooks: {
      delivered: s.webhooks.succeeded,
      received: demo.receiver.events.size,
      invalidSignatures: demo.receiver.stats.invalidSignatures,
      dead: s.webhooks.dead,
    },
    maxActive: { org: peaks.org, orgLimit: s.orgLimit, batch: peaks.batch, batchLimits: s.batches.map((b) => b.limit) },
  };
}

/** Settled: no contact due or in progress, and no webhook delivery still to be made. */
export function settled(s: Snapshot): boolean {
  return s.done && s.webhooks.pending === 0 && s.webhooks.failed === 0;
}

/** `outdial demo` on other telephony (scripts/livekit-stack/demo.ts): starts its stack, then runs runDemoCommand. */
export type DemoLauncher = (opts: DemoRunOptions) => Promise<number>;

export async function runDemoCommand(opts: DemoRunOptions): Promise<number> {
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  // Listening from the start: Ctrl-C while the demo starts still stops what it started.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runUntilStopped(opts, () => stop);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function runUntilStopped(opts: DemoRunOptions, stopped: () => boolean): Promise<number> {
  const out = opts.out ?? process.stdout;
  const tty = out.isTTY && !opts.untilDone;
  const demo = await startDemo(opts);
  const peaks = { org: 0, batch: demo.batchIds.map(() => 0) };
  let last: Snapshot = await demo.snapshot();
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
  let lastPrint = 0;
  try {
    out.write(
      `API ${demo.apiUrl}  ·  Bull Board ${demo.apiUrl}/admin/queues  ·  metrics ${demo.apiUrl}/metrics\n` +
        demo.imports.map((r, i) => `batch ${i + 1}: accepted ${r.accepted}, rejected ${r.rejected}, duplicates ${r.duplicates}, suppressed ${r.suppressed}`).join('\n') +
        '\n',
    );
    while (!stopped()) {
      last = await demo.snapshot();
      peaks.org = Math.max(peaks.org, last.orgActive);
      last.batches.forEach((b, i) => (peaks.batch[i] = Math.max(peaks.batch[i] ?? 0, b.active)));
      const hint = !opts.untilDone && settled(last) ? '\nEverything is settled. The API, Bull Board and /metrics stay up until Ctrl-C.' : '';
      const view = renderSnapshot(last, Date.now() - demo.startedAt) + hint;
      if (tty) out.write(`\x1b[H\x1b[J${view}\n`);
      else if (Date.now() - lastPrint > 5000) {
        out.write(`${view}\n`);
        lastPrint = Date.now();
      }
      if (opts.untilDone && settled(last)) break;
      if (opts.untilDone && Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const summary = summarise(demo, last, peaks);
    out.write(`${renderSnapshot(last, summary.elapsedMs)}\n`);
    out.write(`${JSON.stringify(summary)}\n`);
    return !opts.untilDone || settled(last) ? 0 : 1;
  } finally {
    await demo.close();
  }
}
