// Contact import: a CSV stream or a JSON array becomes a draft batch and its contacts in one
// transaction. File-level problems (encoding, quoting, size, limits, missing columns) throw and
// leave nothing behind; row-level problems reject that row only and are reported by line.
// A CSV body is spooled to a temporary file first: the transaction opens only once the whole
// upload is here, so it never waits on the network.
import type { Readable } from 'node:stream';
import { campaignVariables, type CampaignConfig } from '../../core/campaign.js';
import type { Db } from '../../core/db/client.js';
import { ValidationError } from '../../core/errors.js';
import { applyColumnMap, type ColumnMap } from './column-map.js';
import { columnLayout, type ColumnLayout, type RowContext } from './contact-row.js';
import { loadContacts, type SourceRow } from './contact-loader.js';
import { insertDraftBatch, type BatchMeta } from './contact-writer.js';
import { detectDelimiter } from './csv-dialect.js';
import { csvRecords, MAX_HEADER_BYTES } from './csv-records.js';
import type { ImportReport } from './import-report.js';
import { jsonColumns, jsonRows } from './json-contacts.js';
import { createZoneNameCache, loadZoneTable, type ZoneTable } from './time-zones.js';
import type { PaceLimits } from './upload-pace.js';
import { spoolUpload } from './upload-spool.js';

export interface ImportCampaign {
  id: string;
  orgId: string;
  config: CampaignConfig;
}

export interface ImportOptions {
  /** Upload limit in bytes (CSV); beyond it the import fails with 413. */
  maxBytes: number;
  /** CSV: cut off an upload that stalls or trickles (408); absent for a local stream. */
  pace?: PaceLimits | undefined;
  /** CSV: where the upload is spooled (default the OS temp dir). */
  spoolDir?: string | undefined;
  /** File column → the name it is read as (the upload's `map`); applied before the header rules. */
  columnMap?: ColumnMap | undefined;
  /** Called after every chunk with the number of data rows read so far. */
  onProgress?: (rows: number) => void;
}

let zoneTable: ZoneTable | undefined;
/** Immutable reference data, loaded on first use and shared by every import in the process. */
function zones(): ZoneTable {
  zoneTable ??= loadZoneTable();
  return zoneTable;
}

export async function importCsvBatch(
  db: Db,
  campaign: ImportCampaign,
  meta: BatchMeta,
  body: Readable,
  opts: ImportOptions,
): Promise<ImportReport> {
  const spool = await spoolUpload(body, { maxBytes: opts.maxBytes, pace: opts.pace, dir: opts.spoolDir });
  const delimiter = detectDelimiter(await readHead(spool.read()));
  const file = spool.read();
  const records = csvRecords(file, delimiter);
  try {
    // The header is checked before a transaction opens: a file without the needed columns
    // never touches the database.
    const header = await records.next();
    if (header.done) throw new ValidationError('the file is empty');
    const layout = columnLayout(applyColumnMap(header.value.fields, opts.columnMap), campaignVariables(campaign.config));
    return await importRows(db, campaign, meta, layout, records, opts);
  } finally {
    await records.return(undefined);
    file.destroy();
    await spool.close();
  }
}

export async function importJsonBatch(
  db: Db,
  campaign: ImportCampaign,
  meta: BatchMeta,
  contacts: unknown[],
  opts: ImportOptions,
): Promise<ImportReport> {
  if (contacts.length === 0) throw new ValidationError('the batch has no contacts');
  const columns = jsonColumns(contacts);
  const layout = columnLayout(applyColumnMap(columns, opts.columnMap), campaignVariables(campaign.config));
  return importRows(db, campaign, meta, layout, jsonRows(contacts, columns), opts);
}

/** Enough of the file to hold its header line (a longer header is refused by csvRecords anyway). */
async function readHead(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > MAX_HEADER_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  // A character cut at the end decodes to U+FFFD, which is no delimiter.
  return Buffer.concat(chunks).toString('utf8');
}

async function importRows(
  db: Db,
  campaign: ImportCampaign,
  meta: BatchMeta,
  layout: ColumnLayout,
  rows: AsyncIterable<SourceRow> | Iterable<SourceRow>,
  opts: ImportOptions,
): Promise<ImportReport> {
  const context: RowContext = {
    defaultRegion: campaign.config.defaultRegion,
    fallbackZone: campaign.config.schedule.timezoneFallback,
    table: zones(),
    zoneName: createZoneNameCache(),
  };
  return db.transaction().execute(async (trx) => {
    const batchId = await insertDraftBatch(trx, campaign, meta);
    const target = { orgId: campaign.orgId, batchId, importedAt: new Date() };
    const tally = await loadContacts(trx, target, rows, { layout, context, onProgress: opts.onProgress });
    if (tally.rows === 0) throw new ValidationError('the file has a header but no rows');
    return tally.toReport(batchId);
  });
}
