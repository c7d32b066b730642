// Phone parsing is most of an import's CPU (libphonenumber-js: ~10 µs a number), so large
// imports hand batches of numbers to worker threads while the main thread reads the CSV and
// Postgres writes the previous chunk. Results come back per batch, in the order asked for by
// the caller. A worker that fails costs speed, never correctness: its batches are parsed inline.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { normalisePhone, type PhoneResult } from './phone.js';
import type { PhoneReply, PhoneRequest } from './phone-worker.js';

export interface PhoneParser {
  parse(raws: string[], region: string): Promise<PhoneResult[]>;
  close(): Promise<void>;
}

export const inlinePhoneParser: PhoneParser = {
  parse: (raws, region) => Promise.resolve(raws.map((raw) => normalisePhone(raw, region))),
  close: () => Promise.resolve(),
};

interface Pending {
  req: PhoneRequest;
  resolve: (results: PhoneResult[]) => void;
}

class PooledWorker {
  readonly pending = new Map<number, Pending>();
  alive = true;

  constructor(readonly worker: Worker) {
    worker.on('message', (reply: PhoneReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply.e164.map((e164, i) => toResult(e164, reply.detail[i] ?? '')));
    });
    worker.on('error', () => this.fail());
    worker.on('exit', () => this.fail());
  }

  async close(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }

  private fail(): void {
    this.alive = false;
    for (const p of this.pending.values()) p.resolve(inlineParse(p.req));
    this.pending.clear();
  }
}

function toResult(e164: string | null, detail: string): PhoneResult {
  return e164 === null ? { ok: false, reason: detail } : { ok: true, e164, callingCode: detail };
}

function inlineParse(req: PhoneRequest): PhoneResult[] {
  return req.raws.map((raw) => normalisePhone(raw, req.region));
}

export function createPhonePool(size = Math.min(2, availableParallelism())): PhoneParser {
  const workers = Array.from({ length: size }, () => new PooledWorker(spawnPhoneWorker()));
  let nextId = 0;
  return {
    parse(raws, region) {
      const req: PhoneRequest = { id: nextId++, region, raws };
      const live = workers.filter((w) => w.alive);
      if (live.length === 0) return Promise.resolve(inlineParse(req));
      const target = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      return new Promise((resolve) => {
        target.pending.set(req.id, { req, resolve });
        target.worker.postMessage(req);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/**
 * A worker holds the phone metadata and one batch at a time: a small heap, so garbage is
 * collected early instead of growing the process's memory (V8 would otherwise size each
 * worker's heap like the main thread's).
 */
const resourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/**
 * Compiled, the worker is phone-worker.js next to this file. From TypeScript sources (tsx, the
 * benchmark, tests) a worker does not inherit the TypeScript loader, so a two-line bootstrap
 * registers tsx in the worker before importing the .ts entry.
 */
function spawnPhoneWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./phone-worker.js', import.meta.url), { resourceLimits });
  const entry = new URL('./phone-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { resourceLimits });
}
