// When to start speaking into a voicemail: after the beep has finished, or, for greetings with
// no beep, once the greeting has gone quiet for a while; never later than a deadline. Fed the
// audio that follows a "machine" verdict. Pure, like the detector.
import { createBeepDetector } from './beep.js';
import { tunedAmdParams } from './params.js';
import { blockLevelDb, createSegmenter } from './segmenter.js';
import type { AmdParams } from './types.js';
import { createReblocker } from './blocks.js';

export type VoicemailCue = { kind: 'beep_end'; beepAtMs: number; atMs: number } | { kind: 'silence' | 'timeout'; atMs: number };

export interface VoicemailCueOptions {
  sampleRate: number;
  /** Quiet after the last speech that means the greeting is over (no beep coming). */
  silenceMs?: number;
  /** Give up waiting and speak anyway. */
  maxWaitMs?: number;
  params?: AmdParams;
  /** Set when the beep was already heard during detection: then only its end is awaited. */
  beepAtMs?: number | null;
}

const BLOCK_MS = 10;

export interface VoicemailCueTracker {
  push(frame: Int16Array): VoicemailCue | null;
}

export function createVoicemailCue(opts: VoicemailCueOptions): VoicemailCueTracker {
  const params = opts.params ?? tunedAmdParams;
  const silenceMs = opts.silenceMs ?? 2500;
  const maxWaitMs = opts.maxWaitMs ?? 30_000;
  const blockLen = (opts.sampleRate * BLOCK_MS) / 1000;
  const segmenter = createSegmenter(params.segmenter, BLOCK_MS);
  const beeps = createBeepDetector(params.beep, opts.sampleRate, BLOCK_MS);
  const blocksIn = createReblocker(blockLen);
  let elapsed = 0;
  let quietMs = 0;
  let beepAtMs = opts.beepAtMs ?? null;
  let done: VoicemailCue | null = null;

  function block(b: Int16Array): VoicemailCue | null {
    const level = blockLevelDb(b);
    const onset = beeps.push(b, elapsed, level);
    elapsed += BLOCK_MS;
    if (onset !== null) beepAtMs = onset;
    quietMs = segmenter.push(b, level) ? 0 : quietMs + BLOCK_MS;
    if (beepAtMs !== null && !beeps.sounding && quietMs >= BLOCK_MS * 2) return { kind: 'beep_end', beepAtMs, atMs: elapsed };
    if (beepAtMs === null && quietMs >= silenceMs) return { kind: 'silence', atMs: elapsed };
    if (elapsed >= maxWaitMs) return { kind: 'timeout', atMs: elapsed };
    return null;
  }

  return {
    push(frame) {
      if (done) return null;
      blocksIn.push(frame, (b) => (done = block(b)) !== null);
      return done;
    },
  };
}
