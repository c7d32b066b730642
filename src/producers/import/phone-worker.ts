// Worker-thread entry for the phone pool: parses batches of raw numbers off the main thread.
// Replies as two arrays of strings, which cross threads far cheaper than an array of objects.
import { parentPort } from 'node:worker_threads';
import { normalisePhone } from './phone.js';

export interface PhoneRequest {
  id: number;
  region: string;
  raws: string[];
}

export interface PhoneReply {
  id: number;
  /** E.164 of each number, or null when it was refused. */
  e164: (string | null)[];
  /** The calling code of a valid number, the reason for a refused one. */
  detail: string[];
}

parentPort?.on('message', (req: PhoneRequest) => {
  const reply: PhoneReply = { id: req.id, e164: [], detail: [] };
  for (const raw of req.raws) {
    const r = normalisePhone(raw, req.region);
    reply.e164.push(r.ok ? r.e164 : null);
    reply.detail.push(r.ok ? r.callingCode : r.reason);
  }
  parentPort?.postMessage(reply);
});
