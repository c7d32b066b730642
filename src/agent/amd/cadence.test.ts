import { describe, expect, it } from 'vitest';
import { createCadence, type CadenceDecision } from './cadence.js';
import { appAmdDefaultParams, tunedAmdParams } from './params.js';
import type { CadenceParams } from './types.js';

/** Runs a script of [speech?, ms] stretches through the cadence in 10 ms blocks. */
function play(p: CadenceParams, script: Array<[boolean, number]>): (CadenceDecision & { atMs: number }) | null {
  const cadence = createCadence(p);
  let t = 0;
  for (const [speech, ms] of script) {
    for (let i = 0; i < ms; i += 10) {
      t += 10;
      const d = cadence.push(speech, 10, t);
      if (d) return { ...d, atMs: t };
    }
  }
  return null;
}

const word = (ms = 250): [boolean, number] => [true, ms];
const gap = (ms: number): [boolean, number] => [false, ms];

describe('cadence (app_amd defaults)', () => {
  const p = appAmdDefaultParams.cadence;

  it('calls a silent line a machine after the initial silence', () => {
    expect(play(p, [gap(3000)])).toEqual({ result: 'machine', cause: 'initial_silence', atMs: 2500 });
  });

  it('calls one word and 800 ms of silence a human', () => {
    expect(play(p, [gap(400), word(400), gap(1000)])).toEqual({ result: 'human', cause: 'silence_after_greeting', atMs: 1600 });
  });

  it('calls a second word a machine: the rule that misfiles "Yeah, who is this?"', () => {
    expect(play(p, [gap(300), word(200), gap(100), word(200), gap(1000)])).toMatchObject({ result: 'machine', cause: 'max_words' });
  });

  it('calls 1.5 s of voice a machine', () => {
    expect(play(p, [gap(200), word(1600)])).toMatchObject({ result: 'machine', cause: 'long_greeting', atMs: 1700 });
  });

  it('gives up as not sure at the total analysis time', () => {
    const p2 = { ...p, maxWords: 99, greetingMs: 99_999, afterGreetingSilenceMs: 99_999 };
    expect(play(p2, [word(300), gap(6000)])).toMatchObject({ result: 'uncertain', cause: 'analysis_timeout', atMs: 5000 });
  });
});

describe('cadence (tuned)', () => {
  const p = tunedAmdParams.cadence;

  it('takes a short answer followed by a short wait for a human', () => {
    expect(play(p, [gap(500), word(300), gap(2000)])).toMatchObject({ result: 'human', atMs: 500 + 300 + 550 });
  });

  it('waits longer after a longer answer, as sentence pauses in greetings are that long', () => {
    const answer: Array<[boolean, number]> = [gap(500), word(300), gap(60), word(300), gap(60), word(300), gap(2000)];
    const d = play(p, answer);
    expect(d).toMatchObject({ result: 'human' });
    expect(d?.atMs).toBe(500 + 900 + 120 + 750);
  });

  it('does not mistake a 700 ms pause between greeting sentences for a waiting human', () => {
    const script: Array<[boolean, number]> = [gap(300), word(600), gap(60), word(500), gap(700), word(600), gap(60), word(700)];
    expect(play(p, script)).toMatchObject({ result: 'machine', cause: 'long_greeting' });
  });

  it('ignores voice blips too short to be a word when timing the silence', () => {
    const script: Array<[boolean, number]> = [gap(300), word(300), gap(300), [true, 20], gap(1000)];
    expect(play(p, script)).toMatchObject({ result: 'human', atMs: 300 + 300 + 550 + 20 });
  });

  it('reports a silent line as uncertain rather than as a machine', () => {
    expect(play(p, [gap(5000)])).toMatchObject({ result: 'uncertain', cause: 'initial_silence', atMs: 4000 });
  });

  it('finishes undecided audio as uncertain, naming whether anything was said', () => {
    const silent = createCadence(p);
    expect(silent.finish()).toEqual({ result: 'uncertain', cause: 'no_speech' });
    const spoke = createCadence(p);
    for (let t = 10; t <= 300; t += 10) spoke.push(true, 10, t);
    expect(spoke.finish()).toEqual({ result: 'uncertain', cause: 'audio_ended' });
  });
});
