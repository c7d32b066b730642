// The one JSON body parser of the API: express.json with a size limit, plus a nesting-depth check
// on the raw bytes before JSON.parse runs, so no route ever hands a recursive walker (zod, pg,
// jsonb) a value deep enough to exhaust its stack. Too deep is a malformed body: 400.
import express, { type RequestHandler } from 'express';
import { ValidationError } from '../../core/errors.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../core/json-depth.js';

/** UTF-8 is what RFC 8259 asks for; another `utf-*` charset is re-encoded before the scan. */
function utf8Of(raw: Buffer, charset: string): Uint8Array {
  if (charset === 'utf-8' || charset === 'utf8') return raw;
  let text: string;
  try {
    text = new TextDecoder(charset).decode(raw);
  } catch {
    // A charset TextDecoder does not know (utf-7, utf-32…): refuse rather than scan the wrong bytes.
    throw new ValidationError(`JSON bodies must be UTF-8 or UTF-16, not ${charset}`);
  }
  return Buffer.from(text, 'utf8');
}

function refuseDeepJson(_req: unknown, _res: unknown, raw: Buffer, charset: string): void {
  if (jsonNestsDeeperThan(utf8Of(raw, charset.toLowerCase()), MAX_JSON_DEPTH)) {
    throw new ValidationError(`request body nests deeper than ${MAX_JSON_DEPTH} levels`, {
      maxDepth: MAX_JSON_DEPTH,
    });
  }
}

/** JSON bodies up to `limitBytes`, at most MAX_JSON_DEPTH levels deep. */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes, verify: refuseDeepJson });
}
