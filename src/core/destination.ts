// The SSRF guard for webhook hosts, at registration (API) and at every delivery (sinks): the host
// must resolve, and every address it resolves to must be public (address-policy.ts), unless
// private destinations are allowed (OUTDIAL_WEBHOOK_ALLOW_PRIVATE, for dev and tests). Callers
// connect to the address returned, the one that was checked, so a DNS answer that changes between
// check and connect (rebinding) cannot reach an internal service.
import { lookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isLoopbackName, nonPublicReason } from './address-policy.js';
import { withTimeout } from './timeout.js';

export type Resolver = (host: string) => Promise<LookupAddress[]>;

/** What a tenant is told, whatever the reason: which names exist or where they point is not theirs to learn. */
export const DESTINATION_NOT_ALLOWED = 'destination not allowed';

/** Refused destination: the message is the generic tenant text, `reason` is for the server log only. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(DESTINATION_NOT_ALLOWED);
  }
}

// getaddrinfo has no timeout of its own; a hanging name server must not hold a request or a try.
const LOOKUP_TIMEOUT_MS = 5_000;

/** The system resolver (getaddrinfo: /etc/hosts, search domains), every address, in its order. */
export const systemResolver: Resolver = (host) =>
  withTimeout(
    new Promise<LookupAddress[]>((resolve, reject) =>
      lookup(host, { all: true, verbatim: true }, (err, addresses) =>
        err ? reject(err) : resolve(addresses),
      ),
    ),
    LOOKUP_TIMEOUT_MS,
    'dns lookup',
  );

export interface DestinationOptions {
  allowPrivate: boolean;
  resolve: Resolver;
}

async function addressesOf(host: string, resolve: Resolver): Promise<LookupAddress[]> {
  const family = isIP(host);
  if (family !== 0) return [{ address: host, family }];
  try {
    return await resolve(host);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new DestinationRefusedError(host, `does not resolve (${e.code ?? e.message})`);
  }
}

/**
 * The address to connect to for `host` (a URL hostname; IPv6 literals may keep their brackets).
 * Throws DestinationRefusedError when the host does not resolve, or when any of its addresses
 * is not public and private destinations are not allowed.
 */
export async function checkedAddress(host: string, opts: DestinationOptions): Promise<LookupAddress> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!opts.allowPrivate && isLoopbackName(bare)) throw new DestinationRefusedError(bare, 'localhost name');
  const addresses = await addressesOf(bare, opts.resolve);
  const first = addresses[0];
  if (!first) throw new DestinationRefusedError(bare, 'does not resolve (no addresses)');
  if (!opts.allowPrivate) {
    for (const a of addresses) {
      const why = nonPublicReason(a.address);
      if (why) throw new DestinationRefusedError(bare, `resolves to ${a.address}: ${why}`);
    }
  }
  return first;
}
