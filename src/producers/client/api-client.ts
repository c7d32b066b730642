// A small HTTP client for the outdial API: JSON calls over fetch, and a streamed file upload
// over node:http(s) with a declared Content-Length (so the server can refuse an oversized file
// before it is sent) and a byte counter for the progress bar. Contract errors become ApiError.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigError } from '../../core/config.js';
import type { ClientConfig } from './config.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

export type Credential = 'org' | 'admin';

function bearer(config: ClientConfig, credential: Credential): string {
  const token = credential === 'admin' ? config.OUTDIAL_ADMIN_TOKEN : config.OUTDIAL_API_KEY;
  if (!token)
    throw new ConfigError(
      `this command needs ${credential === 'admin' ? 'OUTDIAL_ADMIN_TOKEN' : 'OUTDIAL_API_KEY'}`,
    );
  return `Bearer ${token}`;
}

function toApiError(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code)
      return new ApiError(status, body.error.code, body.error.message ?? '', body.error.details);
  } catch {
    // Not a contract error body (a proxy's HTML page, say): report the raw text below.
  }
  return new ApiError(status, 'http_error', text.slice(0, 200) || 'no body');
}

export async function callApi<T>(
  config: ClientConfig,
  opts: { method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown; credential?: Credential },
): Promise<T> {
  const res = await fetch(new URL(opts.path, config.OUTDIAL_API_URL), {
    method: opts.method,
    headers: {
      authorization: bearer(config, opts.credential ?? 'org'),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw toApiError(res.status, text);
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
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: {
        authorization: bearer(config, 'org'),
        'content-type': opts.contentType,
        'content-length': size,
      },
    });
    req.on('response', resolve);
    req.on('error', reject);
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
  if (status < 200 || status >= 300) throw toApiError(status, text);
  return JSON.parse(text) as T;
}
