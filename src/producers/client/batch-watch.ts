// `outdial batch status --watch`: polls a batch until it completes or is cancelled. On a
// terminal it redraws a progress bar; anywhere else (a pipe, a file, CI) it writes one plain
// line per change. Both say why contacts still to call wait: their calling window is closed
// (from the batch preview) or their retry is not due yet (from the batch status).
import { SingleBar, Presets } from 'cli-progress';
import { NEXT_OPEN_HORIZON_DAYS } from '../../core/calling-window.js';
import type { BatchStatus } from '../../core/domain.js';
import { callApi } from './api-client.js';
import type { ClientConfig } from './config.js';

export interface BatchStatusBody {
  id: string;
  status: BatchStatus;
  counts: { total: number; status: Record<string, number> };
  active: number;
  limits: { org: number; batch: number };
  waitingForRetry: { contacts: number; nextAt: string | null };
}

interface BatchPreviewBody {
  at: string;
  waitingForWindow: number;
  zoneSets: { openNow: boolean; nextOpenAt: string | null }[];
}

export interface WatchIo {
  /** A TTY gets a redrawn bar, anything else plain lines. */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  sleep?: (ms: number) => Promise<void>;
}

export const batchDone = (s: BatchStatus) => s === 'completed' || s === 'cancelled';

const settled = (s: BatchStatusBody) =>
  (s.counts.status.finished ?? 0) + (s.counts.status.cancelled ?? 0) + (s.counts.status.suppressed ?? 0);

/** Why the contacts still to call are not being called now; '' when none wait. */
export function waitReasons(status: BatchStatusBody, preview: BatchPreviewBody): string {
  const reasons: string[] = [];
  if (preview.waitingForWindow > 0) {
    const opens = preview.zoneSets
      .filter((z) => !z.openNow && z.nextOpenAt !== null)
      .map((z) => z.nextOpenAt!)
      .sort()[0];
    reasons.push(
      `${preview.waitingForWindow} waiting for their calling window (${opens ? `next opens at ${opens}` : `none opens within ${NEXT_OPEN_HORIZON_DAYS} days`})`,
    );
  }
  const retry = status.waitingForRetry;
  if (retry.contacts > 0)
    reasons.push(`${retry.contacts} waiting for a retry${retry.nextAt ? ` (next at ${retry.nextAt})` : ''}`);
  return reasons.length ? `waiting: ${reasons.join(', ')}` : '';
}

function statusLine(s: BatchStatusBody, reasons: string): string {
  const head = `${s.status} ${settled(s)}/${s.counts.total} done | active ${s.active}/${s.limits.batch}`;
  return reasons ? `${head} | ${reasons}` : head;
}

/** Polls until the batch is done, showing progress and wait reasons; returns the final status. */
export async function watchBatch(
  config: ClientConfig,
  io: WatchIo,
  opts: { id: string; intervalMs?: number },
): Promise<BatchStatusBody> {
  const path = `/v1/batches/${encodeURIComponent(opts.id)}`;
  const poll = async () => {
    const status = await callApi<BatchStatusBody>(config, { method: 'GET', path });
    if (batchDone(status.status)) return { status, reasons: '' };
    const preview = await callApi<BatchPreviewBody>(config, { method: 'GET', path: `${path}/preview` });
    return { status, reasons: waitReasons(status, preview) };
  };
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const tty = io.progress.isTTY === true;
  const bar = new SingleBar(
    { stream: io.progress, format: '{status} [{bar}] {value}/{total} done | active {active}/{limit} {waiting}' },
    Presets.shades_classic,
  );
  let last = '';
  let drawn = false;
  const show = ({ status, reasons }: Awaited<ReturnType<typeof poll>>) => {
    if (tty) {
      const payload = { status: status.status, active: status.active, limit: status.limits.batch, waiting: reasons };
      if (drawn) bar.update(settled(status), payload);
      else bar.start(status.counts.total, settled(status), payload);
      drawn = true;
      return;
    }
    const line = statusLine(status, reasons);
    if (line !== last) io.progress.write(`${new Date().toISOString()} ${line}\n`);
    last = line;
  };
  let current = await poll();
  try {
    show(current);
    while (!batchDone(current.status.status)) {
      await sleep(opts.intervalMs ?? 2000);
      current = await poll();
      show(current);
    }
  } finally {
    if (tty) bar.stop();
  }
  return current.status;
}
