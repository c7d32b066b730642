// Runs the detector over a whole recording as a live call would: real-time-sized frames in
// order, transcript segments delivered when the audio clock reaches them, and the audio after
// the verdict still fed so a later beep is located.
import { createAmdDetector } from './detector.js';
import type { AmdParams, AmdVerdict } from './types.js';
import type { PcmAudio } from './wav.js';

export interface TranscriptSegment {
  text: string;
  /** When the transcript is available (end of the words plus recogniser latency). */
  atMs: number;
}

export interface AnalyseOptions {
  params?: AmdParams;
  frameMs?: number;
  transcript?: readonly TranscriptSegment[];
}

export function analyseAudio(audio: PcmAudio, opts: AnalyseOptions = {}): AmdVerdict {
  const detector = createAmdDetector({ sampleRate: audio.sampleRate, ...(opts.params ? { params: opts.params } : {}) });
  const frameLen = Math.round((audio.sampleRate * (opts.frameMs ?? 20)) / 1000);
  const transcript = [...(opts.transcript ?? [])].sort((a, b) => a.atMs - b.atMs);
  let nextCue = 0;
  for (let at = 0; at < audio.samples.length; at += frameLen) {
    detector.push(audio.samples.subarray(at, Math.min(at + frameLen, audio.samples.length)));
    while (nextCue < transcript.length && (transcript[nextCue]?.atMs ?? Infinity) <= detector.elapsedMs) {
      const seg = transcript[nextCue++];
      if (seg) detector.pushTranscript(seg.text, seg.atMs);
    }
  }
  return detector.finish();
}
