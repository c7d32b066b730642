// The AMD detector: frames in, one verdict out. Frames of any length are cut into 10 ms
// blocks; each block goes through the segmenter, the cadence rules and the beep detector.
// The verdict is final once given; the beep detector keeps listening afterwards so a
// voicemail drop can wait for the beep. Pure: no I/O, no clock, time is counted in samples.
import { createBeepDetector } from './beep.js';
import { createCadence } from './cadence.js';
import { findMachineCue } from './cues.js';
import { tunedAmdParams } from './params.js';
import { blockLevelDb, createSegmenter } from './segmenter.js';
import type { AmdParams, AmdVerdict } from './types.js';
import { createReblocker } from './blocks.js';

export const BLOCK_MS = 10;

export interface AmdDetectorOptions {
  sampleRate: number;
  params?: AmdParams;
}

export interface AmdDetector {
  /** Feeds audio (mono Int16 PCM at sampleRate); returns the verdict on the frame that reaches it. */
  push(frame: Int16Array): AmdVerdict | null;
  /** Feeds a final transcript segment heard by atMs (same clock as the audio). */
  pushTranscript(text: string, atMs: number): AmdVerdict | null;
  /** Called once per beep onset, before or after the verdict. */
  onBeep(listener: (beepAtMs: number) => void): void;
  /** The verdict, or null while undecided. */
  readonly verdict: AmdVerdict | null;
  readonly beepAtMs: number | null;
  /** Milliseconds of audio consumed. */
  readonly elapsedMs: number;
  /** Ends the analysis: the verdict if given, else what the rules make of the audio so far. */
  finish(): AmdVerdict;
}

/** The detector works in 10 ms blocks: whole-hundred rates from 8 kHz up. */
export function supportedSampleRate(rate: number): boolean {
  return Number.isInteger(rate) && rate >= 8000 && rate % 100 === 0;
}

export function createAmdDetector(options: AmdDetectorOptions): AmdDetector {
  const { sampleRate } = options;
  if (!supportedSampleRate(sampleRate)) {
    throw new RangeError(`unsupported sample rate ${sampleRate}`);
  }
  const params = options.params ?? tunedAmdParams;
  const blockLen = (sampleRate * BLOCK_MS) / 1000;
  const segmenter = createSegmenter(params.segmenter, BLOCK_MS);
  const cadence = createCadence(params.cadence);
  const beeps = createBeepDetector(params.beep, sampleRate, BLOCK_MS);
  const listeners: Array<(beepAtMs: number) => void> = [];
  const blocksIn = createReblocker(blockLen);
  let blocks = 0;
  let verdict: AmdVerdict | null = null;
  let beepAtMs: number | null = null;

  const decide = (v: AmdVerdict): AmdVerdict => {
    verdict = beepAtMs === null ? v : { ...v, beepAtMs };
    return verdict;
  };

  function processBlock(block: Int16Array): AmdVerdict | null {
    const startMs = blocks * BLOCK_MS;
    blocks++;
    const level = blockLevelDb(block);
    const beepOnset = beeps.push(block, startMs, level);
    if (beepOnset !== null) {
      beepAtMs = beepOnset;
      if (verdict) verdict = { ...verdict, beepAtMs: beepOnset };
      for (const l of listeners) l(beepOnset);
    }
    if (verdict) return null;
    if (beepOnset !== null) return decide({ result: 'machine', cause: 'beep', decidedAtMs: blocks * BLOCK_MS });
    const isSpeech = segmenter.push(block, level);
    const d = cadence.push(isSpeech, BLOCK_MS, blocks * BLOCK_MS);
    return d ? decide({ ...d, decidedAtMs: blocks * BLOCK_MS }) : null;
  }

  return {
    get verdict() {
      return verdict;
    },
    get beepAtMs() {
      return beepAtMs;
    },
    get elapsedMs() {
      return blocks * BLOCK_MS;
    },
    onBeep(listener) {
      listeners.push(listener);
    },
    push(frame) {
      let decided: AmdVerdict | null = null;
      blocksIn.push(frame, (block) => {
        decided = processBlock(block) ?? decided;
        return false;
      });
      return decided;
    },
    pushTranscript(text, atMs) {
      if (verdict || !params.transcriptCues || findMachineCue(text) === null) return null;
      return decide({ result: 'machine', cause: 'transcript_cue', decidedAtMs: Math.max(atMs, 0) });
    },
    finish() {
      return verdict ?? decide({ ...cadence.finish(), decidedAtMs: blocks * BLOCK_MS });
    },
  };
}
