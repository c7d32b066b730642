// Validation of webhook endpoint URLs at registration: http(s) only, no credentials, and (unless
// OUTDIAL_WEBHOOK_ALLOW_PRIVATE) no literal loopback/private/link-local address or localhost.
// Names that resolve to private addresses are the delivery worker's check, made at send time.
import { isIP } from 'node:net';
import { isPrivateAddress } from '../../core/address-policy.js';

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
  if (isIP(host) !== 0 && isPrivateAddress(host)) {
    return 'private or loopback addresses are not allowed';
  }
  return null;
}
