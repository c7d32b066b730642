// Admission cycles, single-flight: one runs at a time in this process; a kick during a cycle asks
// for one more after it (the kick shares the run in flight). One productive cycle fills every free
// slot (due contacts are counted up to the batch limit), so another runs only when a kick arrived
// meanwhile or claims were spent on window moves or DNC. Out of trunk call tokens, it looks again
// shortly as they refill rather than at the next tick.
import type { Logger } from '../core/logger.js';
import type { CycleResult } from './admission.js';

const TOKEN_RETRY_MS = 50;

export interface CycleLoop {
  /** Runs cycles now (or joins the run in flight, which then goes round once more); resolves with the number admitted. */
  kick: () => Promise<number>;
  /** `kick`, its failure logged. */
  kickLogged: () => void;
  /** No cycle starts from now on; resolves when the one in flight ended. */
  close: () => Promise<void>;
}

export function createCycleLoop(opts: {
  runCycle: (cycleNo: number) => Promise<CycleResult>;
  /** Redis lost the leases: rebuild them (the reconciler), then admit. */
  onLeasesLost: () => void;
  log: Logger;
}): CycleLoop {
  let cycleNo = 0;
  let running: Promise<number> | null = null;
  let again = false;
  let closed = false;
  let tokenRetry: NodeJS.Timeout | null = null;

  const loop = async (): Promise<number> => {
    let total = 0;
    do {
      again = false;
      const r = await opts.runCycle(cycleNo++);
      total += r.admitted;
      if (r.rescheduled + r.dnc > 0) again = true;
      if (!r.leasesReady) opts.onLeasesLost();
      if (r.tokenLimited && !tokenRetry && !closed) {
        tokenRetry = setTimeout(() => {
          tokenRetry = null;
          kickLogged();
        }, TOKEN_RETRY_MS);
      }
    } while (again && !closed);
    return total;
  };
  const kick = (): Promise<number> => {
    if (closed) return Promise.resolve(0);
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => {
      running = null;
    });
    return running;
  };
  const kickLogged = () => {
    kick().catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, 'scheduler.cycle_failed'));
  };
  return {
    kick,
    kickLogged,
    async close() {
      closed = true;
      if (tokenRetry) clearTimeout(tokenRetry);
      await running?.catch(() => 0); // a failing last cycle was already logged
    },
  };
}
