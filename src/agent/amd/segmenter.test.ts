import { describe, expect, it } from 'vitest';
import { tunedAmdParams } from './params.js';
import { blockLevelDb, createSegmenter } from './segmenter.js';
import { concat, mixInto, noise, seededRandom, silence, toInt16, utterance } from './testing/signals.js';

/** Speech decisions per 10 ms block for a whole signal. */
function decisions(audio: Int16Array, rate: number, params = tunedAmdParams.segmenter): boolean[] {
  const seg = createSegmenter(params, 10);
  const n = rate / 100;
  const out: boolean[] = [];
  for (let at = 0; at + n <= audio.length; at += n) {
    const block = audio.subarray(at, at + n);
    out.push(seg.push(block, blockLevelDb(block)));
  }
  return out;
}

const share = (xs: boolean[]): number => xs.filter(Boolean).length / Math.max(1, xs.length);

describe('adaptive segmenter', () => {
  it('hears nothing in digital silence or in steady line noise', () => {
    expect(share(decisions(toInt16(silence(2000, 8000)), 8000))).toBe(0);
    const hiss = toInt16(noise(3000, -45, 8000, seededRandom(1)));
    expect(share(decisions(hiss, 8000))).toBeLessThan(0.01);
  });

  it.each([
    [8000, -10],
    [8000, -35],
    [16000, -20],
  ])('finds syllables at %i Hz and %i dBFS over noise 25 dB down', (rate, level) => {
    const rand = seededRandom(2);
    const speech = utterance(6, level, rate, rand);
    const audio = concat([silence(800, rate), speech, silence(800, rate)]);
    mixInto(audio, noise((audio.length / rate) * 1000, level - 25, rate, rand), 0);
    const d = decisions(toInt16(audio), rate);
    const speechBlocks = Math.round(((speech.length / rate) * 1000) / 10);
    expect(share(d.slice(0, 75))).toBeLessThan(0.03);
    expect(share(d.slice(80, 80 + speechBlocks))).toBeGreaterThan(0.5);
    expect(share(d.slice(80 + speechBlocks + 10))).toBeLessThan(0.03);
  });

  it('follows the noise floor up when the line gets noisier', () => {
    const rand = seededRandom(4);
    const audio = concat([noise(1000, -60, 8000, rand), noise(4000, -40, 8000, rand)]);
    const d = decisions(toInt16(audio), 8000);
    // The step is "speech" until the floor window has seen only the louder noise.
    expect(share(d.slice(300))).toBe(0);
  });
});

describe('fixed segmenter (app_amd)', () => {
  it('calls a block speech when its mean absolute amplitude reaches the threshold', () => {
    const seg = createSegmenter({ kind: 'fixed', silenceThreshold: 256 }, 10);
    expect(seg.push(new Int16Array(80).fill(255), 0)).toBe(false);
    expect(seg.push(new Int16Array(80).fill(-256), 0)).toBe(true);
  });
});
