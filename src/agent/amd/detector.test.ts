import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyseAudio } from './analyse.js';
import { createAmdDetector } from './detector.js';
import { appAmdDefaultParams } from './params.js';
import { concat, msToSamples, seededRandom, silence, toInt16, tone, utterance } from './testing/signals.js';
import type { AmdVerdict } from './types.js';

const RATES = [8000, 16000] as const;

/** A person: a short answer, then a wait for the caller. */
function humanCall(rate: number, seed: number, syllables = 2): { samples: Int16Array; phraseEndMs: number } {
  const rand = seededRandom(seed);
  const lead = silence(400 + rand() * 600, rate);
  const answer = utterance(syllables, -16, rate, rand);
  return { samples: toInt16(concat([lead, answer, silence(3000, rate)])), phraseEndMs: ((lead.length + answer.length) / rate) * 1000 };
}

/** A machine: sentences of syllables with sentence pauses, then optionally a beep. */
function machineCall(rate: number, seed: number, beep?: { hz: number; ms: number }): { samples: Int16Array; beepAtMs?: number } {
  const rand = seededRandom(seed);
  const parts = [silence(300, rate)];
  for (let s = 0; s < 4; s++) parts.push(utterance(8 + Math.floor(rand() * 6), -16, rate, rand), silence(250 + rand() * 400, rate));
  const beepAt = parts.reduce((n, p) => n + p.length, 0);
  if (beep) parts.push(tone(beep.hz, beep.ms, -12, rate));
  parts.push(silence(1500, rate));
  return { samples: toInt16(concat(parts)), ...(beep ? { beepAtMs: (beepAt / rate) * 1000 } : {}) };
}

const run = (samples: Int16Array, rate: number, frameMs = 20): AmdVerdict =>
  analyseAudio({ sampleRate: rate, samples }, { frameMs });

describe('AMD detector', () => {
  it.each(RATES)('takes a short answer at %i Hz for a human within a second of its end', (rate) => {
    for (const seed of [1, 2, 3, 4]) {
      const call = humanCall(rate, seed);
      const v = run(call.samples, rate);
      expect(v).toMatchObject({ result: 'human', cause: 'silence_after_greeting' });
      expect(v.decidedAtMs - call.phraseEndMs).toBeLessThan(1000);
      expect(v.beepAtMs).toBeUndefined();
    }
  });

  it.each(RATES)('takes a long greeting at %i Hz for a machine and still locates the beep after the verdict', (rate) => {
    const call = machineCall(rate, 5, { hz: 1000, ms: 400 });
    const v = run(call.samples, rate);
    expect(v).toMatchObject({ result: 'machine', cause: 'long_greeting' });
    expect(v.decidedAtMs).toBeLessThan(call.beepAtMs ?? 0);
    expect(Math.abs((v.beepAtMs ?? Infinity) - (call.beepAtMs ?? 0))).toBeLessThanOrEqual(20);
  });

  it('announces the beep to listeners once, after the verdict', () => {
    const rate = 8000;
    const call = machineCall(rate, 6, { hz: 1400, ms: 200 });
    const detector = createAmdDetector({ sampleRate: rate });
    const heard: Array<{ beepAtMs: number; decided: boolean }> = [];
    detector.onBeep((beepAtMs) => heard.push({ beepAtMs, decided: detector.verdict !== null }));
    const verdicts: AmdVerdict[] = [];
    for (let at = 0; at < call.samples.length; at += 160) {
      const v = detector.push(call.samples.subarray(at, at + 160));
      if (v) verdicts.push(v);
    }
    expect(verdicts).toHaveLength(1);
    expect(heard).toHaveLength(1);
    expect(heard[0]?.decided).toBe(true);
    expect(detector.finish().beepAtMs).toBe(heard[0]?.beepAtMs);
  });

  it('decides "machine" on a beep heard before any other rule fires', () => {
    const rate = 16000;
    const samples = toInt16(concat([silence(500, rate), tone(850, 300, -10, rate), silence(500, rate)]));
    expect(run(samples, rate)).toMatchObject({ result: 'machine', cause: 'beep', beepAtMs: 500 });
  });

  it('gives the same verdict whatever the frame size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.constantFrom(...RATES), fc.boolean(), (seed, rate, human) => {
        const samples = human ? humanCall(rate, seed, 1 + (seed % 4)).samples : machineCall(rate, seed).samples;
        const reference = run(samples, rate, 10);
        const frameLen = 37 + seed * 13;
        return [20, (frameLen / rate) * 1000].every((frameMs) => JSON.stringify(run(samples, rate, frameMs)) === JSON.stringify(reference));
      }),
      { seed: 17, numRuns: 30 },
    );
  });

  it('lets a transcript cue decide "machine" early and keeps the verdict final', () => {
    const detector = createAmdDetector({ sampleRate: 8000 });
    detector.push(toInt16(utterance(3, -16, 8000, seededRandom(1))));
    expect(detector.pushTranscript('Hi! Sorry I missed your call.', 800)).toBeNull();
    expect(detector.pushTranscript("You've reached Sam", 900)).toEqual({ result: 'machine', cause: 'transcript_cue', decidedAtMs: 900 });
    expect(detector.pushTranscript('leave a message', 1200)).toBeNull();
    expect(detector.push(new Int16Array(msToSamples(3000, 8000)))).toBeNull();
    expect(detector.finish()).toMatchObject({ cause: 'transcript_cue' });
  });

  it('ignores transcripts under app_amd defaults, which have none', () => {
    const detector = createAmdDetector({ sampleRate: 8000, params: appAmdDefaultParams });
    expect(detector.pushTranscript('please leave a message after the tone', 100)).toBeNull();
  });

  it('tells humans with a several-word answer apart where app_amd defaults count words and say machine', () => {
    const rate = 8000;
    const call = humanCall(rate, 9, 5);
    expect(run(call.samples, rate)).toMatchObject({ result: 'human' });
    const baseline = analyseAudio({ sampleRate: rate, samples: call.samples }, { params: appAmdDefaultParams });
    expect(baseline).toMatchObject({ result: 'machine', cause: 'max_words' });
  });

  it('finishes empty audio as uncertain with no speech', () => {
    expect(createAmdDetector({ sampleRate: 8000 }).finish()).toEqual({ result: 'uncertain', cause: 'no_speech', decidedAtMs: 0 });
  });

  it('refuses sample rates it cannot cut into 10 ms blocks', () => {
    expect(() => createAmdDetector({ sampleRate: 11025 })).toThrow(RangeError);
  });
});
