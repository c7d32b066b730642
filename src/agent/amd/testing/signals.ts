// Deterministic synthetic audio for the AMD tests and the corpus generator: seeded noise,
// tones, syllable-shaped bursts and music beds, as Float64 sample arrays in full-scale units
// (±32767) that are summed and then converted once to Int16.
import { seededRandom } from '../../../core/random.js';

export { seededRandom };

export const dbToAmplitude = (db: number): number => 32767 * 10 ** (db / 20);

export const msToSamples = (ms: number, sampleRate: number): number => Math.round((ms * sampleRate) / 1000);

/** Adds `src` into `dst` starting at sample `at` (clipped to dst's length). */
export function mixInto(dst: Float64Array, src: Float64Array, at: number): void {
  for (let i = 0; i < src.length && at + i < dst.length; i++) {
    if (at + i >= 0) dst[at + i] = (dst[at + i] ?? 0) + (src[i] ?? 0);
  }
}

export function toInt16(x: Float64Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i] ?? 0)));
  return out;
}

/** A sine tone with 5 ms ramps, as a real beep has (no clicks at its edges). */
export function tone(hz: number, ms: number, levelDb: number, sampleRate: number): Float64Array {
  const n = msToSamples(ms, sampleRate);
  const ramp = msToSamples(5, sampleRate);
  const amp = dbToAmplitude(levelDb) * Math.SQRT2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / ramp, (n - 1 - i) / ramp);
    out[i] = amp * env * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  }
  return out;
}

/** White noise at an RMS level. */
export function noise(ms: number, levelDb: number, sampleRate: number, rand: () => number): Float64Array {
  const n = msToSamples(ms, sampleRate);
  const amp = dbToAmplitude(levelDb) * Math.sqrt(3);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * (2 * rand() - 1);
  return out;
}

/**
 * A syllable-like burst: a gliding harmonic voice (f0 with harmonics, as vowels have) under a
 * raised-cosine envelope, plus a little noise for consonants. Not speech, but it has
 * speech's cadence, energy dips and spectral spread, which is what AMD listens to.
 */
export function syllable(ms: number, levelDb: number, sampleRate: number, rand: () => number): Float64Array {
  const n = msToSamples(ms, sampleRate);
  const f0Start = 100 + rand() * 120;
  const f0End = f0Start * (0.8 + rand() * 0.4);
  const amp = dbToAmplitude(levelDb) * 0.8;
  const out = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const env = 0.5 - 0.5 * Math.cos(2 * Math.PI * t);
    phase += (2 * Math.PI * (f0Start + (f0End - f0Start) * t)) / sampleRate;
    let v = 0;
    for (let h = 1; h <= 12 && h * f0Start < sampleRate / 2.2; h++) v += Math.sin(h * phase) / h;
    out[i] = amp * env * (v + 0.15 * (2 * rand() - 1));
  }
  return out;
}

/** Syllables back to back with short intra-word gaps: `count` syllables of 120–260 ms. */
export function utterance(count: number, levelDb: number, sampleRate: number, rand: () => number): Float64Array {
  const parts: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(syllable(120 + rand() * 140, levelDb, sampleRate, rand));
    if (i < count - 1) parts.push(new Float64Array(msToSamples(20 + rand() * 60, sampleRate)));
  }
  return concat(parts);
}

/** A music bed: three-note chords changing every 400–700 ms, with a soft attack on each. */
export function musicBed(ms: number, levelDb: number, sampleRate: number, rand: () => number): Float64Array {
  const n = msToSamples(ms, sampleRate);
  const out = new Float64Array(n);
  const amp = dbToAmplitude(levelDb) * 0.6;
  const roots = [220, 247, 262, 294, 330, 349, 392];
  let at = 0;
  while (at < n) {
    const len = msToSamples(400 + rand() * 300, sampleRate);
    const root = roots[Math.floor(rand() * roots.length)] ?? 262;
    const notes = [root, root * 1.26, root * 1.5];
    for (let i = 0; i < len && at + i < n; i++) {
      const env = Math.min(1, i / msToSamples(30, sampleRate)) * Math.exp(-i / len);
      let v = 0;
      for (const f of notes) v += Math.sin((2 * Math.PI * f * i) / sampleRate) + 0.3 * Math.sin((4 * Math.PI * f * i) / sampleRate);
      out[at + i] = amp * env * v;
    }
    at += len;
  }
  return out;
}

export function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const silence = (ms: number, sampleRate: number): Float64Array => new Float64Array(msToSamples(ms, sampleRate));
