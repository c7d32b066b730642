// Two parameter sets: app_amd's documented defaults (amd.conf.sample), the baseline we measure
// against, and our tuned set. The tuned values were chosen on a held-out corpus (seed 2) and
// reported on the bench corpus (seed 1); the reasoning for each is next to it.
import type { AmdParams, BeepParams, CadenceParams, SegmenterParams } from './types.js';

const beep: BeepParams = {
  enabled: true,
  minHz: 350,
  maxHz: 2100,
  minDurationMs: 120,
  minPurity: 0.8,
  maxDriftHz: 20,
  minLevelDb: -50,
};

/** Asterisk app_amd defaults: a baseline, not a recommendation. */
export const appAmdDefaultParams: AmdParams = {
  segmenter: { kind: 'fixed', silenceThreshold: 256 },
  cadence: {
    initialSilenceMs: 2500,
    initialSilenceResult: 'machine',
    greetingMs: 1500,
    afterGreetingSilenceMs: 800,
    shortGreeting: null,
    totalAnalysisMs: 5000,
    minWordMs: 100,
    silenceResetVoiceMs: 0,
    betweenWordsSilenceMs: 50,
    maxWords: 2,
    maxWordMs: 5000,
  },
  // app_amd has neither a beep detector nor transcripts.
  beep: { ...beep, enabled: false },
  transcriptCues: false,
};

export const tunedAmdParams: AmdParams = {
  // An adaptive floor keeps quiet callers and noisy lines apart, which a fixed threshold cannot.
  segmenter: { kind: 'adaptive', speechOnDb: 10, speechOffDb: 5, absoluteMinDb: -58, floorWindowMs: 1500 },
  cadence: {
    // Silent answers are mostly people waiting for us to talk: not enough to call a machine.
    initialSilenceMs: 4000,
    initialSilenceResult: 'uncertain',
    // Short answers ("Hi, this is Sam speaking") stay under ~1.8 s of voice; greetings go on.
    greetingMs: 2200,
    // Recorded greetings pause up to ~0.7 s between sentences; a caller who stops longer is waiting.
    afterGreetingSilenceMs: 750,
    shortGreeting: { voicedMs: 500, silenceMs: 550 },
    totalAnalysisMs: 6000,
    minWordMs: 100,
    silenceResetVoiceMs: 40,
    // Syllable dips inside a word are not word breaks.
    betweenWordsSilenceMs: 120,
    // Words are counted loosely on audio; greeting length is the stronger signal.
    maxWords: 9,
    maxWordMs: 5000,
  },
  beep,
  transcriptCues: true,
};

/** Merges partial overrides (from the CLI or tests) into a parameter set. */
export interface AmdParamOverrides {
  segmenter?: SegmenterParams;
  cadence?: Partial<CadenceParams>;
  beep?: Partial<BeepParams>;
  transcriptCues?: boolean;
}

export function withAmdParams(base: AmdParams, overrides: AmdParamOverrides): AmdParams {
  return {
    segmenter: overrides.segmenter ?? base.segmenter,
    cadence: { ...base.cadence, ...overrides.cadence },
    beep: { ...base.beep, ...overrides.beep },
    transcriptCues: overrides.transcriptCues ?? base.transcriptCues,
  };
}
