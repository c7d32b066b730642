// Rows → contacts, streamed in three overlapping stages: the main thread reads rows and
// batches their phone cells to the phone parser (worker threads on large imports), finishes
// each batch in file order (zones, variables, de-duplication), and writes full chunks to
// Postgres while the next ones are parsed (at most one chunk in flight). Memory holds a few
// batches plus the set of numbers seen. The first occurrence of a number wins.
import { ImportTally } from './import-report.js';
import { normaliseRow, type ColumnLayout, type ContactDraft, type RowContext } from './contact-row.js';
import { contactColumns, insertContactChunk, type ChunkTarget, type Trx } from './contact-writer.js';
import type { PhoneResult } from './phone.js';
import { createPhonePool, inlinePhoneParser, type PhoneParser } from './phone-pool.js';
import { PhoneSet } from './phone-set.js';

export type SourceRow = { line: number; fields: readonly string[] } | { line: number; reason: string };

export const CHUNK_ROWS = 2000;
const BATCH_ROWS = 1000;
/** Batches handed to the parser and not yet finished: enough to keep two workers busy. */
const MAX_STAGED = 4;
/** Below this many rows, starting worker threads costs more than it saves. */
export const POOL_AFTER_ROWS = 10_000;

type Settled = { ok: true } | { ok: false; error: unknown };
type Staged = { rows: SourceRow[]; phones: Promise<PhoneResult[]> };

export interface LoadOptions {
  layout: ColumnLayout;
  context: RowContext;
  onProgress?: ((rows: number) => void) | undefined;
}

export async function loadContacts(
  trx: Trx,
  target: ChunkTarget,
  rows: AsyncIterable<SourceRow> | Iterable<SourceRow>,
  opts: LoadOptions,
): Promise<ImportTally> {
  const sink = new ChunkSink(trx, target, opts);
  let parser: PhoneParser = inlinePhoneParser;
  const staged: Staged[] = [];
  let batch: SourceRow[] = [];
  const stage = () => {
    const raws = batch.map((r) => ('fields' in r ? (r.fields[opts.layout.phone] ?? '') : ''));
    staged.push({ rows: batch, phones: parser.parse(raws, opts.context.defaultRegion) });
    batch = [];
  };
  try {
    for await (const row of rows) {
      sink.tally.rows++;
      batch.push(row);
      if (batch.length < BATCH_ROWS) continue;
      if (parser === inlinePhoneParser && sink.tally.rows >= POOL_AFTER_ROWS) parser = createPhonePool();
      stage();
      while (staged.length > MAX_STAGED) await sink.finish(staged.shift()!);
    }
    stage();
    for (let s = staged.shift(); s; s = staged.shift()) await sink.finish(s);
    return await sink.close();
  } finally {
    await parser.close();
  }
}

/** Finishes staged batches in file order and writes them in chunks. */
class ChunkSink {
  readonly tally = new ImportTally();
  private readonly seen = new PhoneSet();
  private chunk: ContactDraft[] = [];
  private inFlight: Promise<Settled> | undefined;

  constructor(
    private readonly trx: Trx,
    private readonly target: ChunkTarget,
    private readonly opts: LoadOptions,
  ) {}

  async finish(s: Staged): Promise<void> {
    const phones = await s.phones;
    for (let i = 0; i < s.rows.length; i++) {
      const row = s.rows[i]!;
      const outcome =
        'reason' in row
          ? { ok: false as const, reason: row.reason }
          : normaliseRow(row.fields, row.line, this.opts.layout, this.opts.context, phones[i]);
      if (!outcome.ok) {
        this.tally.reject(row.line, outcome.reason);
        continue;
      }
      if (!this.seen.add(outcome.contact.phone)) {
        this.tally.duplicates++;
        continue;
      }
      this.chunk.push(outcome.contact);
      if (this.chunk.length >= CHUNK_ROWS) await this.flush();
    }
  }

  async close(): Promise<ImportTally> {
    if (this.chunk.length > 0) await this.flush();
    await settle(this.inFlight);
    this.opts.onProgress?.(this.tally.rows);
    return this.tally;
  }

  private async flush(): Promise<void> {
    const columns = contactColumns(this.chunk);
    this.chunk = [];
    await settle(this.inFlight);
    this.inFlight = insertContactChunk(this.trx, this.target, columns).then(
      (counts): Settled => {
        this.tally.accepted += counts.accepted;
        this.tally.suppressed += counts.suppressed;
        return { ok: true };
      },
      // Held, not dropped: rethrown by settle() at the next flush or at the end.
      (error: unknown): Settled => ({ ok: false, error }),
    );
    this.opts.onProgress?.(this.tally.rows);
  }
}

async function settle(p: Promise<Settled> | undefined): Promise<void> {
  const result = await p;
  if (result && !result.ok) throw result.error;
}
