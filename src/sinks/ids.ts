// The derivation lives in core (core/ids.ts); this path stays only for test/livekit, which imports it.
export { derivedId } from '../core/ids.js';
