// Rows → contacts, streamed: rows are normalised and de-duplicated in file order, gathered into
// chunks, and each chunk is written while the next one is being parsed (at most one chunk in
// flight), so Postgres and the parser work at the same time and memory holds two chunks plus
// the set of numbers seen. The first occurrence of a number wins; later ones count as duplicates.
import { ImportTally } from './import-report.js';
import { normaliseRow, type ColumnLayout, type ContactDraft, type RowContext } from './contact-row.js';
import { chunkJson, insertContactChunk, type ChunkTarget, type Trx } from './contact-writer.js';

export type SourceRow = { line: number; fields: readonly string[] } | { line: number; reason: string };

export const CHUNK_ROWS = 5000;

type Settled = { ok: true } | { ok: false; error: unknown };

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
  const tally = new ImportTally();
  // E.164 has at most 15 digits, exact in a double: a number per phone is far smaller than a string.
  const seen = new Set<number>();
  let chunk: ContactDraft[] = [];
  let inFlight: Promise<Settled> | undefined;

  const flush = async () => {
    const json = chunkJson(chunk);
    chunk = [];
    await settle(inFlight);
    inFlight = insertContactChunk(trx, target, json).then(
      (counts): Settled => {
        tally.accepted += counts.accepted;
        tally.suppressed += counts.suppressed;
        return { ok: true };
      },
      // Held, not dropped: rethrown by settle() at the next flush or at the end.
      (error: unknown): Settled => ({ ok: false, error }),
    );
    opts.onProgress?.(tally.rows);
  };

  for await (const row of rows) {
    tally.rows++;
    const outcome = 'reason' in row ? { ok: false as const, reason: row.reason } : normaliseRow(row.fields, row.line, opts.layout, opts.context);
    if (!outcome.ok) {
      tally.reject(row.line, outcome.reason);
      continue;
    }
    const key = Number(outcome.contact.phone.slice(1));
    if (seen.has(key)) {
      tally.duplicates++;
      continue;
    }
    seen.add(key);
    chunk.push(outcome.contact);
    if (chunk.length >= CHUNK_ROWS) await flush();
  }
  if (chunk.length > 0) await flush();
  await settle(inFlight);
  opts.onProgress?.(tally.rows);
  return tally;
}

async function settle(p: Promise<Settled> | undefined): Promise<void> {
  const result = await p;
  if (result && !result.ok) throw result.error;
}
