// The AMD engine's vocabulary: verdicts, causes and tunable parameters. Pure data, shared by
// the detector, the CLI, the bench and the agent's policies.

export type AmdResult = 'human' | 'machine' | 'uncertain';

/**
 * Why a verdict was reached. The cadence causes mirror Asterisk app_amd's AMDCAUSE values
 * (INITIALSILENCE, LONGGREETING, MAXWORDS, MAXWORDLENGTH, HUMAN, TOOLONG) in our spelling.
 */
export type AmdCause =
  | 'initial_silence'
  | 'long_greeting'
  | 'max_words'
  | 'max_word_length'
  | 'silence_after_greeting'
  | 'beep'
  | 'transcript_cue'
  | 'analysis_timeout'
  /** The audio stopped mid-greeting before any rule decided (not the analysis time running out). */
  | 'audio_ended'
  | 'no_speech';

export interface AmdVerdict {
  result: AmdResult;
  cause: AmdCause;
  /** Milliseconds of audio from the start of the analysis when the verdict was reached. */
  decidedAtMs: number;
  /** Onset of the voicemail beep, when one was heard (before or after the verdict). */
  beepAtMs?: number;
}

/** Speech/silence decision per 10 ms block. */
export type SegmenterParams =
  /** app_amd's rule: a block is silent when its mean absolute amplitude is below the threshold. */
  | { kind: 'fixed'; silenceThreshold: number }
  | {
      kind: 'adaptive';
      /** How far above the tracked noise floor a block must rise to start speech. */
      speechOnDb: number;
      /** Speech continues while blocks stay this far above the floor (hysteresis). */
      speechOffDb: number;
      /** Nothing quieter than this is speech, however quiet the line. */
      absoluteMinDb: number;
      /** The floor is the quietest block over this window. */
      floorWindowMs: number;
    };

export interface CadenceParams {
  initialSilenceMs: number;
  /** What a call that stays silent for initialSilenceMs is taken for (app_amd: machine). */
  initialSilenceResult: AmdResult;
  /** Total voiced time after which the speaker is a machine reading a greeting. */
  greetingMs: number;
  afterGreetingSilenceMs: number;
  /**
   * A shorter silence that already means "human" when the speaker said very little
   * (voiced time ≤ shortGreetingMs): people say "Hello?" and wait. null disables it.
   */
  shortGreeting: { voicedMs: number; silenceMs: number } | null;
  totalAnalysisMs: number;
  minWordMs: number;
  /**
   * Voiced time that interrupts a silence. app_amd restarts its silence count on any voiced
   * frame (0); requiring a little more keeps line clicks from postponing the verdict.
   */
  silenceResetVoiceMs: number;
  betweenWordsSilenceMs: number;
  maxWords: number;
  maxWordMs: number;
}

export interface BeepParams {
  enabled: boolean;
  minHz: number;
  maxHz: number;
  minDurationMs: number;
  /** Share of the window's energy that must sit at the tone's frequency (1 = pure tone). */
  minPurity: number;
  /** How far the frequency may wander during one beep. */
  maxDriftHz: number;
  /** Quieter windows are not looked at. */
  minLevelDb: number;
}

export interface AmdParams {
  segmenter: SegmenterParams;
  cadence: CadenceParams;
  beep: BeepParams;
  /** Whether transcript cues may decide "machine". */
  transcriptCues: boolean;
}
