// Request parsing at the edge: zod schemas for bodies and queries (400 with details), and ids
// in paths (a malformed id is simply an id that does not exist: 404, like another org's id).
import type { Request } from 'express';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { issueDetails } from './errors.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`invalid ${what}`, issueDetails(parsed.error));
  return parsed.data;
}

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  if (!req.is('application/json')) throw new ValidationError('expected an application/json body');
  return parseWith(schema, req.body, 'request body');
}

export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  return parseWith(schema, req.query, 'query');
}

/** The path parameter `name` as a uuid; anything else answers 404. */
export function idParam(req: Request, name = 'id', what = 'resource'): string {
  const value = req.params[name];
  if (typeof value !== 'string' || !uuidPattern.test(value)) throw new NotFoundError(`${what} not found`);
  return value.toLowerCase();
}
