// Twirp's JSON error shape and HTTP status mapping, as livekit-server answers it.
// The SDK parses an error body only when content-type is exactly `application/json`,
// so every answer here sets that header verbatim (no charset suffix).
import type { ServerResponse } from 'node:http';

export type TwirpCode =
  | 'canceled'
  | 'unknown'
  | 'invalid_argument'
  | 'malformed'
  | 'deadline_exceeded'
  | 'not_found'
  | 'bad_route'
  | 'already_exists'
  | 'permission_denied'
  | 'unauthenticated'
  | 'resource_exhausted'
  | 'failed_precondition'
  | 'aborted'
  | 'out_of_range'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'dataloss';

/** Twirp's standard code → HTTP status table (twitchtv/twirp `ServerHTTPStatusFromErrorCode`). */
export const twirpHttpStatus: Readonly<Record<TwirpCode, number>> = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
};

export interface TwirpErrorBody {
  code: TwirpCode;
  msg: string;
  meta?: Record<string, string>;
}

/** Thrown by handlers; the server turns it into a Twirp error response. */
export class TwirpFault extends Error {
  readonly body: TwirpErrorBody;
  constructor(code: TwirpCode, msg: string, meta?: Record<string, string>) {
    super(`${code}: ${msg}`);
    this.name = 'TwirpFault';
    this.body = meta === undefined ? { code, msg } : { code, msg, meta };
  }
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendTwirpError(res: ServerResponse, body: TwirpErrorBody): void {
  sendJson(res, twirpHttpStatus[body.code], body);
}
