// Group commit for jobs that arrive concurrently: items queue while `maxInFlight` groups are
// running and go together into the next group (up to `maxGroup`), so a busy worker makes few
// large transactions and an idle one answers at once. Each caller gets its own item's result.

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupRunner<T, R> {
  add(item: T): Promise<R>;
}

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export function createGroupRunner<T, R>(
  run: (items: T[]) => Promise<Settled<R>[]>,
  opts: { maxGroup?: number; maxInFlight?: number } = {},
): GroupRunner<T, R> {
  const maxGroup = opts.maxGroup ?? 64;
  const maxInFlight = opts.maxInFlight ?? 1;
  const queue: Waiting<T, R>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function pump(): void {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = queue.splice(0, maxGroup);
      inFlight++;
      run(group.map((w) => w.item))
        .then(
          (results) =>
            group.forEach((w, i) => {
              const r = results[i] ?? { ok: false, error: new Error('no result for item') };
              if (r.ok) w.resolve(r.value);
              else w.reject(r.error);
            }),
          (err: unknown) => group.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  }

  return {
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // Wait one turn so that items arriving in the same tick share a group.
        if (!scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
  };
}

/** A group runner for writes without results that all succeed or fail together. */
export function createWriteBatcher<T>(
  flush: (items: T[]) => Promise<void>,
  maxGroup = 256,
): GroupRunner<T, void> {
  return createGroupRunner<T, void>(
    async (items) => {
      await flush(items);
      return items.map(() => ({ ok: true, value: undefined }));
    },
    { maxGroup, maxInFlight: 2 },
  );
}
