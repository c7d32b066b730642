// DNS for tests (the machine has no network): a fixed table, and node's ENOTFOUND for the rest.
// example.com and its subdomains answer a public address, so tests can register webhooks there.
import type { Resolver } from '../../src/core/destination.js';

export function fakeResolver(table: Record<string, string[]>): Resolver {
  return (host) => {
    const name = host.toLowerCase();
    const addresses = table[name] ?? (name.endsWith('.example.com') ? table['example.com'] : undefined);
    if (!addresses) {
      return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}

export const exampleDns = { 'example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] };

export const publicTestResolver = fakeResolver(exampleDns);
