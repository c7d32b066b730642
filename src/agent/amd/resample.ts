// Recordings come at any rate (espeak-ng writes 22,050 Hz, CD audio 44,100, phones 8,000); the
// detector works in 10 ms blocks, so it takes whole-hundred rates from 8 kHz up. Others are
// resampled (windowed sinc with a low-pass filter, wave-resampler) to 16 kHz, or to 8 kHz when
// the source is narrower than that, so no band is invented.
import { resample } from 'wave-resampler';
import { supportedSampleRate } from './detector.js';
import type { PcmAudio } from './wav.js';

export function toDetectorRate(audio: PcmAudio): PcmAudio {
  if (supportedSampleRate(audio.sampleRate)) return audio;
  if (!(audio.sampleRate > 0)) throw new RangeError(`unsupported sample rate ${audio.sampleRate}`);
  const target = audio.sampleRate >= 16000 ? 16000 : 8000;
  const out = resample(audio.samples, audio.sampleRate, target, { method: 'sinc', LPF: true });
  const samples = new Int16Array(out.length);
  for (let i = 0; i < out.length; i++) samples[i] = Math.max(-32768, Math.min(32767, Math.round(out[i] ?? 0)));
  return { sampleRate: target, samples };
}
