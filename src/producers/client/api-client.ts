// A small HTTP client for the outdial API: JSON calls over fetch, and a streamed file upload
// over node:http(s) with a declared Content-Length (so the server can refuse an oversized file
// before it is sent) and a byte counter for the progress bar. Contract errors become ApiError.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigError } from '../../core/config.js';
import type { ClientConfig } from './config.js';

export type Credential = 'org' | 'admin';

const credentialVariable: Record<Credential, string> = {
  admin: 'OUTDIAL_ADMIN_TOKEN',
  org: 'OUTDIAL_API_KEY',
};

/**
 * The contract's `details` as lines: zod issues (`[{path, message}]`, see the API's error
 * middleware) as `path: message`, any other object as `key: value`.
 */
export function detailLines(details: unknown): string[] {
  if (details === undefined || details === null) return [];
  if (Array.isArray(details))
    return details.map((d) => {
      if (typeof d === 'object' && d !== null && 'message' in d) {
        const { path, message } = d as { path?: unknown; message: unknown };
        return path ? `${text(path)}: ${text(message)}` : text(message);
      }
      return text(d);
    });
  if (typeof details === 'object') return Object.entries(details).map(([k, v]) => `${k}: ${text(v)}`);
  return [text(details)];
}

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    hint?: string,
  ) {
    super(
      [`${status} ${code}: ${message}`, ...detailLines(details).map((l) => `  ${l}`), ...(hint ? [hint] : [])].join(
        '\n',
      ),
    );
  }
}

/** The API could not be reached at all (refused, no such host, TLS): says where it looked. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';
  constructor(url: URL, cause: unknown) {
    const reason = networkReason(cause);
    super(
      `cannot reach the outdial API at ${url.origin}${reason ? ` (${reason})` : ''}: is it running? Set OUTDIAL_API_URL to its address`,
      { cause },
    );
  }
}

const connectFailures = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

function networkReason(err: unknown): string {
  // fetch wraps the socket error as `cause`; node:http rejects with it directly.
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (!(inner instanceof Error)) return '';
  const code = (inner as { code?: unknown }).code;
  return typeof code === 'string' ? code : inner.message;
}

function bearer(config: ClientConfig, credential: Credential): string {
  const token = credential === 'admin' ? config.OUTDIAL_ADMIN_TOKEN : config.OUTDIAL_API_KEY;
  if (!token) throw new ConfigError(`this command needs ${credentialVariable[credential]}`);
  return `Bearer ${token}`;
}

function toApiError(status: number, text: string, credential: Credential): ApiError {
  // A refused credential names the variable it came from, so the fix is obvious.
  const hint = status === 401 ? `check ${credentialVariable[credential]}` : undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code)
      return new ApiError(status, body.error.code, body.error.message ?? '', body.error.details, hint);
  } catch {
    // Not a contract error body (a proxy's HTML page, say): report the raw text below.
  }
  return new ApiError(status, 'http_error', text.slice(0, 200) || 'no body', undefined, hint);
}

export async function callApi<T>(
  config: ClientConfig,
  opts: { method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown; credential?: Credential },
): Promise<T> {
  const url = new URL(opts.path, config.OUTDIAL_API_URL);
  const credential = opts.credential ?? 'org';
  const authorization = bearer(config, credential);
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method,
      headers: {
        authorization,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
  } catch (err) {
    throw new ApiUnreachableError(url, err);
  }
  const text = await res.text();
  if (!res.ok) throw toApiError(res.status, text, credential);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs a file as the request body, streamed; onBytes reports the bytes sent so far. */
export async function uploadFile<T>(
  config: ClientConfig,
  opts: { path: string; file: string; contentType: string; onBytes?: (sent: number, total: number) => void },
): Promise<T> {
  const { size } = await stat(opts.file);
  const url = new URL(opts.path, config.OUTDIAL_API_URL);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const authorization = bearer(config, 'org');
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': opts.contentType,
        'content-length': size,
      },
    });
    req.on('response', resolve);
    // A server that cuts an upload short (EPIPE, ECONNRESET) was reached: only a failed connect is "unreachable".
    req.on('error', (err) => reject(connectFailures.has(networkReason(err)) ? new ApiUnreachableError(url, err) : err));
    const file = createReadStream(opts.file);
    let sent = 0;
    file.on('data', (chunk) => {
      sent += chunk.length;
      opts.onBytes?.(sent, size);
    });
    file.on('error', (err) => req.destroy(err));
    file.pipe(req);
  });
  const text = await readAll(res);
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw toApiError(status, text, 'org');
  return JSON.parse(text) as T;
}
