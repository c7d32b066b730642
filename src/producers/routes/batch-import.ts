// POST /v1/campaigns/:id/batches: a draft batch from a JSON body or a streamed text/csv body
// (never buffered whole), answered with the import report. The import module owns parsing and
// the transaction; this route only picks the body kind, reads the batch meta and the limits.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../../core/errors.js';
import { requestLog, requestOrg } from '../http/context.js';
import { jsonBody } from '../http/json-body.js';
import { idParam, parseWith } from '../http/validate.js';
import { importCsvBatch, importJsonBatch, type BatchMeta } from '../import/index.js';
import { describeRoute } from '../openapi.js';
import { findCampaign } from '../repos/campaigns.js';
import type { RouteDeps } from './deps.js';

const name = z.string().trim().min(1).max(200);
const startAt = z.iso.datetime({ offset: true });

export const batchCsvQuerySchema = z.object({
  name,
  maxConcurrency: z.coerce.number().int().min(1).max(100_000),
  startAt: startAt.optional(),
});

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

export function batchImportRoutes({ rt, registry }: RouteDeps, opts: { jsonLimitBytes: number }): Router {
  const maxBytes = rt.config.OUTDIAL_MAX_UPLOAD_BYTES;
  describeRoute(registry, {
    method: 'post',
    path: '/v1/campaigns/{id}/batches',
    summary:
      'Create a draft batch from JSON contacts or a streamed CSV file (query name, maxConcurrency, startAt)',
    body: batchJsonSchema,
    rawBodies: {
      'text/csv': 'CSV with a header row: phone (required), timezone, name, and template variables',
    },
    query: batchCsvQuerySchema.partial(),
    ok: { status: 201, schema: importReportSchema },
    errors: [400, 404, 413, 422],
  });
  const router = Router();
  router.post('/campaigns/:id/batches', jsonBody(opts.jsonLimitBytes), async (req, res) => {
    const org = requestOrg(res);
    const campaign = await findCampaign(rt.db, org.id, idParam(req, 'id', 'campaign'));
    if (!campaign) throw new NotFoundError('campaign not found');
    let report;
    if (req.is('text/csv')) {
      const meta = metaOf(parseWith(batchCsvQuerySchema, req.query, 'query'));
      checkDeclaredLength(req, maxBytes);
      report = await importCsvBatch(rt.db, campaign, meta, req, { maxBytes });
    } else if (req.is('application/json')) {
      const input = parseWith(batchJsonSchema, req.body, 'request body');
      report = await importJsonBatch(rt.db, campaign, metaOf(input), input.contacts, { maxBytes });
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
