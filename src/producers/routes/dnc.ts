// The org's do-not-call list. Numbers arrive in any format and are stored in E.164 (parsed with
// the given or default region); a number that does not parse is refused with its index, and
// nothing of that request is written.
import { Router } from 'express';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { UnprocessableError } from '../../core/errors.js';
import { requestOrg } from '../http/context.js';
import { decodeCursor, page, pageQuery } from '../http/cursor.js';
import { parseBody, parseWith } from '../http/validate.js';
import { describeRoute } from '../openapi.js';
import { addDnc, listDnc, removeDnc } from '../repos/dnc.js';
import type { RouteDeps } from './deps.js';

const region = z
  .string()
  .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 region such as "US"')
  .default('US');
const phone = z.string().min(1).max(64);

export const dncAddSchema = z
  .object({
    phones: z.array(phone).min(1).max(10_000),
    reason: z.string().max(500).optional(),
    defaultRegion: region,
  })
  .strict();
export const dncRemoveSchema = z
  .object({ phones: z.array(phone).min(1).max(10_000), defaultRegion: region })
  .strict();
const dncQuerySchema = pageQuery.extend({ phone: phone.optional(), defaultRegion: region });

/** E.164 for each input, or 422 naming every index that is not a valid number. */
export function normalisePhones(phones: string[], defaultRegion: string): string[] {
  const out: string[] = [];
  const bad: { index: number; message: string }[] = [];
  phones.forEach((p, index) => {
    const parsed = parsePhoneNumberFromString(p, defaultRegion as CountryCode);
    if (parsed?.isValid()) out.push(parsed.number);
    else bad.push({ index, message: 'not a valid phone number' });
  });
  if (bad.length > 0)
    throw new UnprocessableError(`${bad.length} phone number(s) are not valid`, bad.slice(0, 100));
  return [...new Set(out)];
}

const entrySchema = z.object({
  phone: z.string(),
  reason: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

function describe(registry: RouteDeps['registry']): void {
  describeRoute(registry, {
    method: 'post',
    path: '/v1/dnc',
    summary: 'Add numbers to the do-not-call list',
    body: dncAddSchema,
    ok: { status: 201, schema: z.object({ added: z.number().int(), phones: z.array(z.string()) }) },
    errors: [400, 413, 422],
  });
  describeRoute(registry, {
    method: 'get',
    path: '/v1/dnc',
    summary: 'List (or look up with ?phone=) do-not-call numbers',
    query: dncQuerySchema,
    ok: { status: 200, schema: z.object({ items: z.array(entrySchema), nextCursor: z.string().nullable() }) },
    errors: [400, 422],
  });
  describeRoute(registry, {
    method: 'delete',
    path: '/v1/dnc',
    summary: 'Remove numbers from the do-not-call list',
    body: dncRemoveSchema,
    ok: { status: 200, schema: z.object({ removed: z.number().int() }) },
    errors: [400, 422],
  });
}

export function dncRoutes({ rt, registry }: RouteDeps): Router {
  describe(registry);
  const router = Router();
  router.post('/dnc', async (req, res) => {
    const input = parseBody(dncAddSchema, req);
    const phones = normalisePhones(input.phones, input.defaultRegion);
    const added = await addDnc(
      rt.db,
      requestOrg(res).id,
      phones.map((p) => ({ phone: p, reason: input.reason ?? null })),
    );
    res.status(201).json({ added, phones });
  });
  router.get('/dnc', async (req, res) => {
    const q = parseWith(dncQuerySchema, req.query, 'query');
    const only = q.phone === undefined ? undefined : normalisePhones([q.phone], q.defaultRegion)[0];
    const rows = await listDnc(rt.db, requestOrg(res).id, {
      limit: q.limit,
      after: decodeCursor(q.cursor),
      ...(only ? { phone: only } : {}),
    });
    const { items, next } = page(rows, q.limit, (e) => ({ at: e.cursorAt, id: e.phone }));
    res.json({
      items: items.map((e) => ({ phone: e.phone, reason: e.reason, createdAt: e.createdAt.toISOString() })),
      nextCursor: next,
    });
  });
  router.delete('/dnc', async (req, res) => {
    const input = parseBody(dncRemoveSchema, req);
    const removed = await removeDnc(
      rt.db,
      requestOrg(res).id,
      normalisePhones(input.phones, input.defaultRegion),
    );
    res.json({ removed });
  });
  return router;
}
