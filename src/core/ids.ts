// Ids derived from other ids (RFC 9562 version 5, SHA-1 name-based): the same fact always gets the
// same id, so an event emitted again (a retried job, a second reconciler, both LiveKit close
// webhooks) is stored and delivered once. The one derivation every role uses.
import { createHash } from 'node:crypto';

const namespace = Buffer.from('6f757464-6961-4c00-8000-73696e6b7300'.replace(/-/g, ''), 'hex');

export function derivedId(name: string): string {
  const h = createHash('sha1').update(namespace).update(name).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The reconciler's `call.failed` for an attempt past its deadline (one per attempt, every pass). */
export function stuckEventId(attemptId: string): string {
  return derivedId(`stuck:${attemptId}`);
}

/** The dialer's `call.failed` for an attempt it may not dial (one per attempt, every redelivery). */
export function unclaimableEventId(attemptId: string): string {
  return derivedId(`unclaimable:${attemptId}`);
}
