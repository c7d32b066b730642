// SSRF guard for webhook URLs: every address the host resolves to must be public, unless
// OUTDIAL_WEBHOOK_ALLOW_PRIVATE. It runs at delivery time, and the connection then goes to the
// address that was checked (see http-send.ts), so a DNS answer that changes between check and
// connect (rebinding) cannot reach an internal service.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../core/address-policy.js';

export { isPrivateAddress };

export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

/** Resolves the host and returns the address to connect to; throws RefusedAddressError if any is private. */
export async function resolveAllowed(
  host: string,
  allowPrivate: boolean,
  resolve: Resolver,
): Promise<LookupAddress> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const addresses = isIP(bare) ? [{ address: bare, family: isIP(bare) }] : await resolve(bare);
  const first = addresses[0];
  if (!first) throw new RefusedAddressError(`${bare} did not resolve`);
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new RefusedAddressError(`${bare} resolves to a non-public address (${bad.address})`);
  }
  return first;
}
