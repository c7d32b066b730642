// Speech/silence segmentation per 10 ms block. The adaptive variant tracks the noise floor as
// the quietest block of a sliding window, so a steady hiss or hum becomes "silence" within
// that window while speech (which always dips between syllables) stays "speech".
import type { SegmenterParams } from './types.js';

const FULL_SCALE_SQ = 32768 * 32768;
/** Blocks at the very start that only teach the floor: a call opens with line noise, not words. */
const CALIBRATION_BLOCKS = 5;

export function blockLevelDb(block: Int16Array): number {
  let sum = 0;
  for (const s of block) sum += s * s;
  return 10 * Math.log10(sum / Math.max(1, block.length) / FULL_SCALE_SQ + 1e-12);
}

function meanAbs(block: Int16Array): number {
  let sum = 0;
  for (const s of block) sum += Math.abs(s);
  return sum / Math.max(1, block.length);
}

export interface Segmenter {
  /** Classifies one block; true means speech. */
  push(block: Int16Array, levelDb: number): boolean;
  /** The current noise floor in dBFS (adaptive only; -Infinity for the fixed rule). */
  readonly floorDb: number;
}

export function createSegmenter(params: SegmenterParams, blockMs: number): Segmenter {
  if (params.kind === 'fixed') {
    return { push: (block) => meanAbs(block) >= params.silenceThreshold, floorDb: -Infinity };
  }
  return createAdaptiveSegmenter(params, blockMs);
}

function createAdaptiveSegmenter(
  params: Extract<SegmenterParams, { kind: 'adaptive' }>,
  blockMs: number,
): Segmenter {
  const windowBlocks = Math.max(1, Math.round(params.floorWindowMs / blockMs));
  // Monotonic deque of [index, level] giving the sliding-window minimum in O(1) amortised.
  const deque: Array<[number, number]> = [];
  let index = 0;
  let speaking = false;
  let floorDb = -Infinity;

  return {
    get floorDb() {
      return floorDb;
    },
    push(_block, levelDb) {
      while (deque.length > 0 && (deque[deque.length - 1]?.[1] ?? Infinity) >= levelDb) deque.pop();
      deque.push([index, levelDb]);
      while ((deque[0]?.[0] ?? index) <= index - windowBlocks) deque.shift();
      floorDb = Math.max(deque[0]?.[1] ?? levelDb, -90);
      index++;
      if (index <= CALIBRATION_BLOCKS) return false;
      const above = levelDb - floorDb;
      const loudEnough = levelDb >= params.absoluteMinDb;
      speaking = loudEnough && (speaking ? above >= params.speechOffDb : above >= params.speechOnDb);
      return speaking;
    },
  };
}
