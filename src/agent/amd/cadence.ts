// Cadence rules in the manner of Asterisk's app_amd: a greeting is judged by how long the
// caller stays silent at first, how long and how many words they speak, and how long they
// then stay silent. It consumes one speech/silence decision per block and decides at most once.
import type { AmdCause, AmdResult, CadenceParams } from './types.js';

export interface CadenceDecision {
  result: AmdResult;
  cause: AmdCause;
}

export interface CadenceState {
  /** Total voiced time so far. */
  voicedMs: number;
  words: number;
  /** Whether a first word has been heard (app_amd's inGreeting). */
  inGreeting: boolean;
}

export interface Cadence {
  /** Feeds one block; returns a decision on the block that reaches one. */
  push(isSpeech: boolean, blockMs: number, elapsedMs: number): CadenceDecision | null;
  /** Decision for audio that ended before any rule fired. */
  finish(): CadenceDecision;
  readonly state: CadenceState;
}

export function createCadence(p: CadenceParams): Cadence {
  let silenceMs = 0;
  let consecutiveVoiceMs = 0;
  let inWord = false;
  const state: CadenceState = { voicedMs: 0, words: 0, inGreeting: false };

  const requiredSilence = (): number =>
    p.shortGreeting && state.voicedMs <= p.shortGreeting.voicedMs ? p.shortGreeting.silenceMs : p.afterGreetingSilenceMs;

  function onSilence(blockMs: number): CadenceDecision | null {
    silenceMs += blockMs;
    if (silenceMs >= p.betweenWordsSilenceMs) {
      inWord = false;
      consecutiveVoiceMs = 0;
    }
    if (!state.inGreeting && silenceMs >= p.initialSilenceMs) {
      return { result: p.initialSilenceResult, cause: 'initial_silence' };
    }
    if (state.inGreeting && silenceMs >= requiredSilence()) {
      return { result: 'human', cause: 'silence_after_greeting' };
    }
    return null;
  }

  function onSpeech(blockMs: number): CadenceDecision | null {
    consecutiveVoiceMs += blockMs;
    state.voicedMs += blockMs;
    if (consecutiveVoiceMs >= p.silenceResetVoiceMs) silenceMs = 0;
    if (consecutiveVoiceMs >= p.minWordMs) {
      if (!inWord) {
        state.words++;
        inWord = true;
        state.inGreeting = true;
        if (state.words >= p.maxWords) return { result: 'machine', cause: 'max_words' };
      }
    }
    if (consecutiveVoiceMs >= p.maxWordMs) return { result: 'machine', cause: 'max_word_length' };
    if (state.inGreeting && state.voicedMs >= p.greetingMs) return { result: 'machine', cause: 'long_greeting' };
    return null;
  }

  return {
    state,
    push(isSpeech, blockMs, elapsedMs) {
      const decision = isSpeech ? onSpeech(blockMs) : onSilence(blockMs);
      if (decision) return decision;
      if (elapsedMs >= p.totalAnalysisMs) return { result: 'uncertain', cause: 'analysis_timeout' };
      return null;
    },
    // The audio stopped (a clip ended, the callee hung up) before any rule decided.
    finish() {
      return state.inGreeting
        ? { result: 'uncertain', cause: 'audio_ended' }
        : { result: 'uncertain', cause: 'no_speech' };
    },
  };
}
