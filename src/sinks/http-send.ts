// One HTTP POST of a signed webhook, connected to an address already checked by the SSRF guard:
// the request's `lookup` returns that address, so the socket cannot go anywhere else. Redirects
// are not followed (a 3xx is a failure). Keep-alive agents make the steady state cheap.
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';

export interface SendResult {
  /** HTTP status, or null when no response arrived (connection error, timeout). */
  status: number | null;
  /** What the delivery log shows the tenant: never an address or other internal detail. */
  error: string | null;
  /** The full error, for the server log only. */
  detail?: string;
}

/** Node's socket and TLS errors name the address connected to; the tenant gets their code. */
function tenantError(err: NodeJS.ErrnoException, timeoutMs: number): SendResult {
  if (err.name === 'AbortError') return { status: null, error: `timeout after ${timeoutMs} ms` };
  return { status: null, error: `connection failed${err.code ? ` (${err.code})` : ''}`, detail: err.message };
}

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export function createAgents(maxSockets = 256): Agents {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets }),
    https: new https.Agent({ keepAlive: true, maxSockets }),
  };
}

function pinned(addr: LookupAddress): LookupFunction {
  return (_host, opts, cb) => {
    if (opts.all) cb(null, [addr]);
    else cb(null, addr.address, addr.family);
  };
}

export function postSigned(
  agents: Agents,
  url: URL,
  addr: LookupAddress,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve) => {
    const req = (secure ? https : http).request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup: pinned(addr),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        // The body is not needed; draining it lets the socket go back to the pool.
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
        res.on('error', (err) => resolve({ ...tenantError(err, timeoutMs), status: res.statusCode ?? null }));
      },
    );
    req.on('error', (err) => resolve(tenantError(err, timeoutMs)));
    req.end(body);
  });
}
