// Coalesces small writes from concurrent jobs into one statement: items added in the same
// tick (or until `max` arrive) are flushed together and every caller awaits that flush.
// On a hot path (marking webhook deliveries succeeded) this turns N round trips into one.

export interface Batcher<T> {
  add(item: T): Promise<void>;
}

export function createBatcher<T>(flush: (items: T[]) => Promise<void>, max = 64): Batcher<T> {
  let pending: { items: T[]; done: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null =
    null;

  function run(): void {
    const batch = pending;
    pending = null;
    if (!batch) return;
    flush(batch.items).then(batch.resolve, batch.reject);
  }

  return {
    add(item: T): Promise<void> {
      if (!pending) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const done = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        pending = { items: [], done, resolve, reject };
        setImmediate(run);
      }
      const batch = pending;
      batch.items.push(item);
      if (batch.items.length >= max) run();
      return batch.done;
    },
  };
}
