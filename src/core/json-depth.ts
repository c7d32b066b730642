// How deep a JSON text nests, measured on the raw text before anything parses it. zod, pg's
// serialiser, Postgres's jsonb input and the agent's JSON-schema reader all walk values
// recursively, so a body nested thousands of levels deep can exhaust a stack in one of them.
// One linear pass, no allocation; brackets inside strings do not count.

/** The deepest nesting of objects and arrays any JSON input may have (the body itself is level 1). */
export const MAX_JSON_DEPTH = 400;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when the UTF-8 text opens more than `max` objects/arrays at once. Every byte of a
 * multi-byte UTF-8 character is ≥ 0x80, so scanning bytes sees exactly the ASCII punctuation that
 * matters. Malformed JSON is left to the parser to refuse.
 */
export function jsonNestsDeeperThan(utf8: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < utf8.length; i++) {
    const c = utf8[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
