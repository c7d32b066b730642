// /openapi.json, generated from the same zod schemas the handlers parse with: each route module
// describes its paths into one registry, so the document cannot drift from what is enforced.
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { apiRoles, roleAllows } from '../core/api-roles.js';
import { CONSOLE_SESSION_COOKIE } from './http/console-session.js';

export { OpenAPIRegistry };

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

const errorDescriptions: Record<number, string> = {
  400: 'malformed JSON, wrong types or an invalid cursor',
  401: 'missing or invalid bearer token, or an expired, ended or revoked session',
  403: 'the API key’s role may not do this (`forbidden`), or a request made with the session cookie lacks its CSRF token (`csrf_invalid`)',
  404: 'no such resource for this org (another org’s ids answer 404 too)',
  408: 'the upload stalled or came in slower than the minimum rate',
  409: 'the resource is not in a state that allows this',
  413: 'request body too large',
  422: 'well-formed but unacceptable content',
  429: 'rate limit for this API key exceeded, too many failed authentications from this address, or (imports) the org’s concurrent imports (see retry-after)',
  503: 'the database is busy (no connection within the acquire timeout); retry later',
};

export interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI path syntax: /v1/batches/{id} */
  path: string;
  summary: string;
  body?: z.ZodType;
  /** Extra request bodies by media type (text/csv). */
  rawBodies?: Record<string, string>;
  query?: z.ZodObject;
  params?: z.ZodObject;
  auth?: 'org' | 'admin' | 'none';
  ok: { status: number; schema?: z.ZodType; description?: string };
  errors?: number[];
}

const idParams = z.object({ id: z.string().describe('uuid') });

export function describeRoute(registry: OpenAPIRegistry, doc: RouteDoc): void {
  const responses: RouteConfig['responses'] = {
    [doc.ok.status]: {
      description: doc.ok.description ?? 'success',
      ...(doc.ok.schema ? { content: { 'application/json': { schema: doc.ok.schema } } } : {}),
    },
  };
  const auth = doc.auth ?? 'org';
  // 403 wherever some role may not call the route (src/core/api-roles.ts decides, here as at
  // runtime), and on every state change (a session request without its CSRF token).
  const mayForbid = doc.method !== 'get' || apiRoles.some((role) => !roleAllows(role, doc.method, doc.path));
  const errors = new Set([
    ...(doc.errors ?? []),
    ...(auth === 'none' ? [] : [401, 429]),
    ...(auth === 'org' && mayForbid ? [403] : []),
  ]);
  for (const status of [...errors].sort()) {
    responses[status] = {
      description: errorDescriptions[status] ?? 'error',
      content: { 'application/json': { schema: errorBodySchema } },
    };
  }
  const content: Record<string, { schema: z.ZodType }> = {};
  if (doc.body) content['application/json'] = { schema: doc.body };
  for (const [media, description] of Object.entries(doc.rawBodies ?? {})) {
    content[media] = { schema: z.string().describe(description) };
  }
  const params = doc.params ?? (doc.path.includes('{id}') ? idParams : undefined);
  registry.registerPath({
    method: doc.method,
    path: doc.path,
    summary: doc.summary,
    ...(auth === 'none'
      ? { security: [] }
      : { security: auth === 'admin' ? [{ adminToken: [] }] : [{ apiKey: [] }, { sessionCookie: [] }] }),
    request: {
      ...(Object.keys(content).length > 0 ? { body: { content, required: true } } : {}),
      ...(doc.query ? { query: doc.query } : {}),
      ...(params ? { params } : {}),
    },
    responses,
  });
}

export function openApiDocument(
  registry: OpenAPIRegistry,
): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'org API key',
  });
  registry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: CONSOLE_SESSION_COOKIE,
    description: 'console session from POST /v1/session; POST/PATCH/PUT/DELETE also need its X-CSRF-Token',
  });
  registry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'OUTDIAL_ADMIN_TOKEN',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'outdial', version: '1', description: 'Queue-driven campaign dialer: REST API' },
    servers: [{ url: '/' }],
  });
}
