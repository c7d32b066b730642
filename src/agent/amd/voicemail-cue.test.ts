import { describe, expect, it } from 'vitest';
import { concat, seededRandom, silence, toInt16, tone, utterance } from './testing/signals.js';
import { createVoicemailCue, type VoicemailCue } from './voicemail-cue.js';

function feed(samples: Int16Array, opts: Parameters<typeof createVoicemailCue>[0]): VoicemailCue | null {
  const cue = createVoicemailCue(opts);
  for (let at = 0; at < samples.length; at += 160) {
    const c = cue.push(samples.subarray(at, at + 160));
    if (c) return c;
  }
  return null;
}

describe('voicemail cue', () => {
  it('waits for the end of the beep, not its start', () => {
    const rate = 8000;
    const rand = seededRandom(1);
    const audio = concat([utterance(10, -16, rate, rand), silence(400, rate), tone(1000, 600, -12, rate), silence(2000, rate)]);
    const beepStart = ((audio.length - 2600 * 8) / rate) * 1000;
    const c = feed(toInt16(audio), { sampleRate: rate });
    expect(c?.kind).toBe('beep_end');
    expect(c?.atMs).toBeGreaterThanOrEqual(beepStart + 600);
    expect(c?.atMs).toBeLessThanOrEqual(beepStart + 700);
  });

  it('speaks after a quiet spell when the greeting has no beep', () => {
    const rate = 16000;
    const audio = concat([utterance(8, -16, rate, seededRandom(2)), silence(4000, rate)]);
    const speechEnd = ((audio.length - 4000 * 16) / rate) * 1000;
    const c = feed(toInt16(audio), { sampleRate: rate, silenceMs: 2000 });
    expect(c?.kind).toBe('silence');
    expect(Math.abs((c?.atMs ?? 0) - (speechEnd + 2000))).toBeLessThanOrEqual(100);
  });

  it('speaks at once after a beep that was already heard and is over', () => {
    const c = feed(toInt16(silence(500, 8000)), { sampleRate: 8000, beepAtMs: 100 });
    expect(c).toMatchObject({ kind: 'beep_end', beepAtMs: 100, atMs: 20 });
  });

  it('gives up at the deadline while the greeting goes on', () => {
    const audio = utterance(60, -16, 8000, seededRandom(3));
    expect(feed(toInt16(audio), { sampleRate: 8000, maxWaitMs: 3000 })).toEqual({ kind: 'timeout', atMs: 3000 });
  });
});
