// Validation of webhook endpoint URLs at registration. The form (http or https, no credentials)
// is checked while parsing the body; the destination then through the SSRF guard, which resolves
// the host: unless OUTDIAL_WEBHOOK_ALLOW_PRIVATE, it must resolve, and only to public addresses.
// The delivery worker checks again at every send, since DNS answers change.
import { checkedAddress, DestinationRefusedError, type Resolver } from '../../core/destination.js';

/** Why the URL can never be a webhook endpoint, or null when its form is acceptable. */
export function webhookUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // new URL throws only on unparseable input, which is exactly the answer.
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  return null;
}

/**
 * Why the URL's host may not receive webhooks (for the server log only; it may name internal
 * addresses), or null when it may. `raw` must already have passed webhookUrlProblem.
 */
export async function webhookDestinationRefusal(
  raw: string,
  opts: { allowPrivate: boolean; resolve: Resolver },
): Promise<string | null> {
  // The dev/test escape hatch registers anything, resolvable or not, like a receiver not yet up.
  if (opts.allowPrivate) return null;
  try {
    await checkedAddress(new URL(raw).hostname, opts);
    return null;
  } catch (err) {
    if (err instanceof DestinationRefusedError) return `${err.host}: ${err.reason}`;
    throw err;
  }
}
