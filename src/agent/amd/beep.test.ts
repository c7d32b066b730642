import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBeepDetector, dominantTone } from './beep.js';
import { tunedAmdParams } from './params.js';
import { blockLevelDb } from './segmenter.js';
import { concat, musicBed, noise, seededRandom, silence, toInt16, tone, utterance, mixInto } from './testing/signals.js';

/** Feeds audio in 10 ms blocks; returns every beep onset reported. */
function beepsIn(audio: Int16Array, sampleRate: number): number[] {
  const detector = createBeepDetector(tunedAmdParams.beep, sampleRate, 10);
  const blockLen = sampleRate / 100;
  const found: number[] = [];
  for (let at = 0; at + blockLen <= audio.length; at += blockLen) {
    const block = audio.subarray(at, at + blockLen);
    const onset = detector.push(block, (at / sampleRate) * 1000, blockLevelDb(block));
    if (onset !== null) found.push(onset);
  }
  return found;
}

describe('beep detector', () => {
  it.each([8000, 16000])('finds a 1 kHz beep after a greeting at %i Hz within 20 ms of its onset', (rate) => {
    const rand = seededRandom(7);
    const audio = concat([utterance(8, -20, rate, rand), silence(400, rate), tone(1000, 300, -14, rate), silence(500, rate)]);
    const onset = (audio.length / rate) * 1000 - 800;
    const found = beepsIn(toInt16(audio), rate);
    expect(found).toHaveLength(1);
    expect(Math.abs((found[0] ?? 0) - onset)).toBeLessThanOrEqual(20);
  });

  it('finds any steady tone from 350 to 2100 Hz lasting 120 ms or more, at either rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 350, max: 2100 }),
        fc.integer({ min: 130, max: 1000 }),
        fc.constantFrom(8000, 16000),
        fc.integer({ min: -30, max: -6 }),
        fc.integer({ min: 100, max: 900 }),
        (hz, ms, rate, level, leadMs) => {
          const audio = concat([silence(leadMs, rate), tone(hz, ms, level, rate), silence(200, rate)]);
          const found = beepsIn(toInt16(audio), rate);
          return found.length === 1 && Math.abs((found[0] ?? 0) - leadMs) <= 20;
        },
      ),
      { seed: 5, numRuns: 120 },
    );
  });

  it('ignores tones shorter than 120 ms and tones outside 350–2100 Hz', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ hz: fc.integer({ min: 400, max: 2000 }), ms: fc.integer({ min: 20, max: 95 }) }),
          fc.record({ hz: fc.integer({ min: 150, max: 260 }), ms: fc.integer({ min: 200, max: 800 }) }),
          fc.record({ hz: fc.integer({ min: 2250, max: 3300 }), ms: fc.integer({ min: 200, max: 800 }) }),
        ),
        ({ hz, ms }) => beepsIn(toInt16(concat([silence(200, 8000), tone(hz, ms, -12, 8000), silence(200, 8000)])), 8000).length === 0,
      ),
      { seed: 11, numRuns: 80 },
    );
  });

  it('does not hear a beep in speech-like syllables, music or noise', () => {
    const rate = 8000;
    const rand = seededRandom(3);
    const audio = concat([utterance(30, -18, rate, rand), musicBed(4000, -20, rate, rand), noise(2000, -25, rate, rand)]);
    expect(beepsIn(toInt16(audio), rate)).toEqual([]);
  });

  it('does not hear a beep in a two-tone signal such as DTMF', () => {
    const rate = 8000;
    const dual = tone(770, 400, -15, rate);
    mixInto(dual, tone(1336, 400, -15, rate), 0);
    expect(beepsIn(toInt16(concat([silence(100, rate), dual])), rate)).toEqual([]);
  });

  it('still finds a beep under line noise 25 dB down', () => {
    const rate = 16000;
    const audio = concat([silence(300, rate), tone(1400, 250, -15, rate), silence(300, rate)]);
    mixInto(audio, noise(850, -40, rate, seededRandom(9)), 0);
    const found = beepsIn(toInt16(audio), rate);
    expect(found).toHaveLength(1);
    expect(Math.abs((found[0] ?? 0) - 300)).toBeLessThanOrEqual(20);
  });

  it('names the frequency of a pure tone to within 10 Hz', () => {
    const x = toInt16(tone(873, 60, -10, 8000)).subarray(160, 320);
    const found = dominantTone(x, 8000, { minHz: 350, maxHz: 2100 });
    expect(found?.purity).toBeGreaterThan(0.9);
    expect(Math.abs((found?.hz ?? 0) - 873)).toBeLessThanOrEqual(10);
  });
});
