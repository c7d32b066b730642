// Voicemail beep detection: a steady single tone between minHz and maxHz lasting at least
// minDurationMs. Each 10 ms hop looks at the last 20 ms; a zero-crossing count proposes a
// frequency and Goertzel filters around it measure how much of the energy that one tone holds.
// Speech has harmonics and a moving pitch, so it never holds one frequency that purely for long.
import type { BeepParams } from './types.js';

const EDGE_TOLERANCE_HZ = 15;

/** Power of x at frequency hz (Goertzel), scaled so a pure tone at hz gives ≈ 1 × its energy. */
export function goertzelPurity(x: Int16Array | Float64Array, sampleRate: number, hz: number, energy: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy > 0 ? power / ((x.length / 2) * energy) : 0;
}

function zeroCrossingHz(x: Int16Array, sampleRate: number): number {
  let crossings = 0;
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1] ?? 0;
    const b = x[i] ?? 0;
    if ((a < 0 && b >= 0) || (a >= 0 && b < 0)) crossings++;
  }
  return (crossings * sampleRate) / (2 * (x.length - 1));
}

/** The strongest pure tone near the zero-crossing estimate, or null. */
export function dominantTone(
  x: Int16Array,
  sampleRate: number,
  p: Pick<BeepParams, 'minHz' | 'maxHz'>,
): { hz: number; purity: number } | null {
  let energy = 0;
  for (const v of x) energy += v * v;
  if (energy === 0) return null;
  const guess = zeroCrossingHz(x, sampleRate);
  if (guess < p.minHz - 60 || guess > p.maxHz + 60) return null;
  let best = { hz: guess, purity: 0 };
  for (let hz = guess - 60; hz <= guess + 60; hz += 10) {
    const purity = goertzelPurity(x, sampleRate, hz, energy);
    if (purity > best.purity) best = { hz, purity };
  }
  // Refine to 2 Hz so drift checks compare like with like.
  for (let hz = best.hz - 8; hz <= best.hz + 8; hz += 2) {
    const purity = goertzelPurity(x, sampleRate, hz, energy);
    if (purity > best.purity) best = { hz, purity };
  }
  // The 20 ms window resolves frequency to a few hertz: allow that much at the band's edges.
  return best.hz >= p.minHz - EDGE_TOLERANCE_HZ && best.hz <= p.maxHz + EDGE_TOLERANCE_HZ ? best : null;
}

export interface BeepDetector {
  /** Feeds one block (startMs is its start); returns the beep onset on the hop that confirms it. */
  push(block: Int16Array, startMs: number, levelDb: number): number | null;
  /** True while a confirmed beep is still sounding. */
  readonly sounding: boolean;
}

export function createBeepDetector(p: BeepParams, sampleRate: number, blockMs: number): BeepDetector {
  const blockLen = Math.round((sampleRate * blockMs) / 1000);
  const window = new Int16Array(blockLen * 2);
  let filled = 0;
  let run: { startMs: number; hz: number; lengthMs: number } | null = null;
  let reported = false;

  return {
    get sounding() {
      return run !== null && reported;
    },
    push(block, startMs, levelDb) {
      if (!p.enabled) return null;
      window.copyWithin(0, blockLen);
      window.set(block.subarray(0, blockLen), blockLen);
      filled = Math.min(2, filled + 1);
      if (filled < 2) return null;
      const windowStartMs = startMs - blockMs;
      const tone = levelDb >= p.minLevelDb ? dominantTone(window, sampleRate, p) : null;
      const steady = tone !== null && tone.purity >= p.minPurity;
      if (!steady) {
        run = null;
        reported = false;
        return null;
      }
      if (run && Math.abs(tone.hz - run.hz) <= p.maxDriftHz) {
        run.lengthMs += blockMs;
      } else {
        run = { startMs: windowStartMs, hz: tone.hz, lengthMs: blockMs * 2 };
        reported = false;
      }
      if (!reported && run.lengthMs >= p.minDurationMs) {
        reported = true;
        return run.startMs;
      }
      return null;
    },
  };
}
