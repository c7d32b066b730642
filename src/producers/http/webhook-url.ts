// Validation of webhook endpoint URLs at registration: http(s) only, no credentials, and (unless
// OUTDIAL_WEBHOOK_ALLOW_PRIVATE) no literal loopback/private/link-local address or localhost.
// Names that resolve to private addresses are the delivery worker's check, made at send time.
import { BlockList, isIP } from 'node:net';

const privateRanges = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateRanges.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  // IPv4-mapped addresses (::ffff:127.0.0.1) are checked against the IPv4 rules by BlockList itself.
  privateRanges.addSubnet(net, bits, 'ipv6');
}

/** Why the URL is refused, or null when it is acceptable. */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // new URL throws only on unparseable input, which is exactly the answer.
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost'))
    return 'private or loopback addresses are not allowed';
  const family = isIP(host);
  if (family !== 0 && privateRanges.check(host, family === 4 ? 'ipv4' : 'ipv6')) {
    return 'private or loopback addresses are not allowed';
  }
  return null;
}
