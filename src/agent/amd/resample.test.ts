import { describe, expect, it } from 'vitest';
import { supportedSampleRate } from './detector.js';
import { toDetectorRate } from './resample.js';
import { toInt16, tone } from './testing/signals.js';

/** Zero crossings per second: twice the frequency of a pure tone. */
function crossingsPerSecond(samples: Int16Array, rate: number): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++) if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) n++;
  return n / (samples.length / rate);
}

describe('resampling for the AMD detector', () => {
  it('keeps whole-hundred rates from 8 kHz up as they are', () => {
    for (const rate of [8000, 16000, 44100, 48000]) {
      const audio = { sampleRate: rate, samples: new Int16Array(10) };
      expect(supportedSampleRate(rate)).toBe(true);
      expect(toDetectorRate(audio)).toBe(audio);
    }
  });

  it('takes 22,050 Hz (espeak-ng) to 16 kHz and 11,025 Hz to 8 kHz, keeping pitch and length', () => {
    for (const [from, to] of [
      [22050, 16000],
      [11025, 8000],
      [32050, 16000],
    ] as const) {
      const samples = toInt16(tone(1000, 1000, -12, from));
      const out = toDetectorRate({ sampleRate: from, samples });
      expect(out.sampleRate).toBe(to);
      expect(Math.abs(out.samples.length - to)).toBeLessThanOrEqual(2);
      expect(crossingsPerSecond(out.samples, to)).toBeCloseTo(2000, -1);
    }
  });

  it('refuses a rate that is not a rate', () => {
    expect(() => toDetectorRate({ sampleRate: 0, samples: new Int16Array(4) })).toThrow(/unsupported sample rate 0/);
  });
});
