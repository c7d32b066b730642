// Worker-thread entry for the phone pool: parses batches of raw numbers off the main thread.
import { parentPort } from 'node:worker_threads';
import { normalisePhone } from './phone.js';

export interface PhoneRequest {
  id: number;
  region: string;
  raws: string[];
}

parentPort?.on('message', (req: PhoneRequest) => {
  parentPort?.postMessage({ id: req.id, results: req.raws.map((raw) => normalisePhone(raw, req.region)) });
});
