// The reconciler every few seconds, single-flight in this process (a pass asked for during one
// joins it). After each pass `afterPass` runs (the tick's job scheduler is put back) and, when the
// pass was asked for through `runLogged`, `then` (admission looks again).
import type { Logger } from '../core/logger.js';
import type { ReconcileResult } from './reconciler.js';

export interface ReconcileLoop {
  runOnce: () => Promise<void>;
  /** `runOnce`, then `then`, a failure logged; nothing once closed. */
  runLogged: () => void;
  /** No pass starts from now on; resolves when the one in flight ended. */
  close: () => Promise<void>;
}

export function startReconcileLoop(opts: {
  pass: () => Promise<ReconcileResult>;
  afterPass: () => Promise<void>;
  then: () => void;
  everyMs: number;
  log: Logger;
}): ReconcileLoop {
  let reconciling: Promise<void> | null = null;
  let closed = false;
  const runOnce = (): Promise<void> => {
    reconciling ??= opts
      .pass()
      .then(async (r) => {
        if (Object.values(r).some((n) => n > 0)) opts.log.info(r, 'scheduler.reconciled');
        await opts.afterPass();
      })
      .finally(() => {
        reconciling = null;
      });
    return reconciling;
  };
  const runLogged = () => {
    if (closed) return;
    runOnce()
      .then(opts.then)
      .catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, 'scheduler.reconcile_failed'));
  };
  const timer = setInterval(runLogged, opts.everyMs);
  return {
    runOnce,
    runLogged,
    async close() {
      closed = true;
      clearInterval(timer);
      // A pass in flight would otherwise go on over a runtime its owner is about to close.
      await reconciling?.catch(() => undefined); // its failure was already logged
    },
  };
}
