// Contact import (CSV stream or JSON array → draft batch + contacts), used by the batch
// creation route and the CLI. See import-batch.ts for the transaction and error rules.
export { importCsvBatch, importJsonBatch, type ImportCampaign, type ImportOptions } from './import-batch.js';
export { MAX_REPORTED_ERRORS, type ImportReport, type RowError } from './import-report.js';
export type { BatchMeta } from './contact-writer.js';
export { columnMapSchema, type ColumnMap } from './column-map.js';
