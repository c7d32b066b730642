// When does the caller speak? Follows a stream of 16-bit PCM in 10 ms blocks and reports, in
// audio time, where an utterance starts (first block above the speech level), where interim
// results fall due, and where it ends (enough speech, then `endpointMs` below the level). The
// STT double hangs scripted words on these instants, so transcripts follow the real audio's
// timing. Pure: no clock, no I/O.
import { blockLevelDb } from '../../../src/agent/amd/segmenter.js';

export interface ListenerOptions {
  sampleRate: number;
  /** A block at or above this level (dBFS) is speech. */
  speechLevelDb: number;
  /** Less speech than this in an utterance is a noise blip: it ends without words. */
  minSpeechMs: number;
  /** Quiet after speech that ends the utterance. */
  endpointMs: number;
  /** One interim result per this much audio into an utterance; null sends none. */
  interimEveryMs: number | null;
}

export const DEFAULT_LISTENER: Omit<ListenerOptions, 'sampleRate'> = {
  speechLevelDb: -45,
  minSpeechMs: 200,
  endpointMs: 600,
  interimEveryMs: 400,
};

export type ListenerEvent =
  | { kind: 'speech_started'; atS: number }
  | { kind: 'interim'; index: number; startS: number; endS: number }
  /** heard=false: the "speech" was too short to be words (the utterance ends empty). */
  | { kind: 'final'; heard: boolean; startS: number; endS: number; fromFinalize: boolean };

interface Speaking {
  start: number;
  lastVoicedEnd: number;
  voiced: number;
  interims: number;
}

export interface UtteranceListener {
  push(samples: Int16Array): ListenerEvent[];
  /** Ends the current utterance now (Deepgram's Finalize / CloseStream). */
  finalize(): ListenerEvent[];
  /** Audio received so far, in seconds. */
  readonly seconds: number;
}

export function createUtteranceListener(opts: ListenerOptions): UtteranceListener {
  const blockLen = Math.max(1, Math.round(opts.sampleRate / 100));
  const ms = (n: number) => (n * 1000) / opts.sampleRate;
  const s = (n: number) => n / opts.sampleRate;
  let pending = new Int16Array(0);
  let processed = 0;
  let speaking: Speaking | null = null;

  const end = (sp: Speaking, fromFinalize: boolean): ListenerEvent => {
    speaking = null;
    return { kind: 'final', heard: ms(sp.voiced) >= opts.minSpeechMs, startS: s(sp.start), endS: s(sp.lastVoicedEnd), fromFinalize };
  };

  const onBlock = (block: Int16Array, out: ListenerEvent[]) => {
    const start = processed;
    processed += block.length;
    const voiced = blockLevelDb(block) >= opts.speechLevelDb;
    if (!speaking) {
      if (!voiced) return;
      speaking = { start, lastVoicedEnd: processed, voiced: 0, interims: 0 };
      out.push({ kind: 'speech_started', atS: s(start) });
    }
    const sp = speaking;
    if (voiced) {
      sp.lastVoicedEnd = processed;
      sp.voiced += block.length;
    }
    if (ms(processed - sp.lastVoicedEnd) >= opts.endpointMs) {
      out.push(end(sp, false));
      return;
    }
    const every = opts.interimEveryMs;
    if (every !== null && ms(sp.voiced) >= opts.minSpeechMs && ms(processed - sp.start) >= every * (sp.interims + 1)) {
      sp.interims += 1;
      out.push({ kind: 'interim', index: sp.interims, startS: s(sp.start), endS: s(sp.lastVoicedEnd) });
    }
  };

  return {
    push(samples) {
      const all = new Int16Array(pending.length + samples.length);
      all.set(pending);
      all.set(samples, pending.length);
      const out: ListenerEvent[] = [];
      let at = 0;
      for (; at + blockLen <= all.length; at += blockLen) onBlock(all.subarray(at, at + blockLen), out);
      pending = all.slice(at);
      return out;
    },
    finalize() {
      if (pending.length > 0) {
        const rest = pending;
        pending = new Int16Array(0);
        const out: ListenerEvent[] = [];
        onBlock(rest, out);
        if (speaking) out.push(end(speaking, true));
        return out;
      }
      return speaking ? [end(speaking, true)] : [];
    },
    get seconds() {
      return s(processed + pending.length);
    },
  };
}
