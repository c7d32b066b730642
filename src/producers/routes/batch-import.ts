// POST /v1/campaigns/:id/batches: a draft batch from a JSON body or a streamed text/csv body
// (spooled to disk, never buffered in memory), answered with the import report. The import module
// owns spooling, parsing and the transaction; this route picks the body kind, reads the batch meta
// and the limits, and holds one of the org's import slots for the whole import (429 beyond).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Config } from '../../core/config.js';
import { NotFoundError, PayloadTooLargeError, RateLimitedError, ValidationError } from '../../core/errors.js';
import { requestLog, requestOrg } from '../http/context.js';
import { createImportSlots, type ImportSlots } from '../http/import-slots.js';
import { jsonBody } from '../http/json-body.js';
import { idParam, parseWith } from '../http/validate.js';
import { columnMapSchema, importCsvBatch, importJsonBatch, type BatchMeta } from '../import/index.js';
import { describeRoute } from '../openapi.js';
import { findCampaign } from '../repos/campaigns.js';
import type { RouteDeps } from './deps.js';

const name = z.string().trim().min(1).max(200);
const startAt = z.iso.datetime({ offset: true });

export const batchCsvQuerySchema = z.object({
  name,
  maxConcurrency: z.coerce.number().int().min(1).max(100_000),
  startAt: startAt.optional(),
  map: columnMapSchema.optional(),
});

/** A JSON body carries its own meta; only the column map comes in the query. */
const batchJsonQuerySchema = z.object({ map: columnMapSchema.optional() });

export const batchJsonSchema = z
  .object({
    name,
    maxConcurrency: z.number().int().min(1).max(100_000),
    startAt: startAt.nullable().optional(),
    contacts: z.array(z.unknown()).min(1).max(1_000_000),
  })
  .strict();

const importReportSchema = z.object({
  batchId: z.uuid(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  duplicates: z.number().int(),
  suppressed: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  errorsOmitted: z.number().int().describe('rejections beyond the listed errors'),
});

function metaOf(input: {
  name: string;
  maxConcurrency: number;
  startAt?: string | null | undefined;
}): BatchMeta {
  return {
    name: input.name,
    maxConcurrency: input.maxConcurrency,
    startAt: input.startAt ? new Date(input.startAt) : null,
  };
}

/** Refuses an upload whose declared length is already over the limit, before reading a byte. */
function checkDeclaredLength(req: Request, maxBytes: number): void {
  const declared = Number(req.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new PayloadTooLargeError(`the upload is larger than ${maxBytes} bytes`, { maxBytes });
  }
}

function importOptions(config: Config) {
  return {
    maxBytes: config.OUTDIAL_MAX_UPLOAD_BYTES,
    spoolDir: config.OUTDIAL_UPLOAD_SPOOL_DIR,
    pace: {
      idleMs: config.OUTDIAL_UPLOAD_IDLE_TIMEOUT_SECONDS * 1000,
      minBytesPerSecond: config.OUTDIAL_UPLOAD_MIN_BYTES_PER_SECOND,
      windowMs: config.OUTDIAL_UPLOAD_RATE_WINDOW_SECONDS * 1000,
    },
  };
}

/** How soon a refused import may try again: imports of ordinary size take seconds. */
const RETRY_IMPORT_AFTER_SECONDS = 5;

/** Runs an import under one of the org's import slots; 429 naming the limit when all are taken. */
async function inImportSlot<T>(slots: ImportSlots, limit: number, orgId: string, res: Response, work: () => Promise<T>): Promise<T> {
  const slot = await slots.take(orgId, requestLog(res));
  if (!slot) {
    res.setHeader('retry-after', RETRY_IMPORT_AFTER_SECONDS);
    throw new RateLimitedError(`this org already has ${limit} imports in progress (the limit)`, {
      limit: 'importsPerOrg',
      max: limit,
    });
  }
  try {
    return await work();
  } finally {
    await slot.release();
  }
}

export function batchImportRoutes({ rt, registry }: RouteDeps, opts: { jsonLimitBytes: number }): Router {
  const options = importOptions(rt.config);
  const perOrg = rt.config.OUTDIAL_IMPORTS_PER_ORG;
  const slots = createImportSlots(rt.redis, rt.keys, perOrg);
  describeRoute(registry, {
    method: 'post',
    path: '/v1/campaigns/{id}/batches',
    summary:
      'Create a draft batch from JSON contacts or a streamed CSV file (query name, maxConcurrency, startAt; map for both)',
    body: batchJsonSchema,
    rawBodies: {
      'text/csv':
        'CSV (`,` `;` tab or `|`, detected from the header; BOM and CRLF accepted) with a header row: phone (required; also Phone Number, Mobile, Telephone, Tel), timezone, name, and template variables',
    },
    query: batchCsvQuerySchema.partial(),
    ok: { status: 201, schema: importReportSchema },
    errors: [400, 404, 408, 413, 422, 429, 503],
  });
  const router = Router();
  router.post('/campaigns/:id/batches', jsonBody(opts.jsonLimitBytes), async (req, res) => {
    const org = requestOrg(res);
    const campaign = await findCampaign(rt.db, org.id, idParam(req, 'id', 'campaign'));
    if (!campaign) throw new NotFoundError('campaign not found');
    const inSlot = <T>(work: () => Promise<T>) => inImportSlot(slots, perOrg, org.id, res, work);
    let report;
    if (req.is('text/csv')) {
      const query = parseWith(batchCsvQuerySchema, req.query, 'query');
      checkDeclaredLength(req, options.maxBytes);
      report = await inSlot(async () => {
        try {
          return await importCsvBatch(rt.db, campaign, metaOf(query), req, { ...options, columnMap: query.map });
        } catch (err) {
          // Refused before the whole body came in: close rather than read the rest on this socket.
          if (!req.complete) res.setHeader('connection', 'close');
          throw err;
        }
      });
    } else if (req.is('application/json')) {
      const input = parseWith(batchJsonSchema, req.body, 'request body');
      const { map } = parseWith(batchJsonQuerySchema, req.query, 'query');
      report = await inSlot(() => importJsonBatch(rt.db, campaign, metaOf(input), input.contacts, { ...options, columnMap: map }));
    } else {
      throw new ValidationError('expected an application/json or text/csv body');
    }
    requestLog(res).info(
      {
        orgId: org.id,
        batchId: report.batchId,
        accepted: report.accepted,
        rejected: report.rejected,
        suppressed: report.suppressed,
      },
      'batch.imported',
    );
    res.status(201).json(report);
  });
  return router;
}
