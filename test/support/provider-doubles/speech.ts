// Real speech for the doubles and their tests: espeak-ng says the text, sox turns its WAV into
// the raw encoding and rate a client asked for. Deterministic (no dither), so the same text gives
// the same bytes.
import { run } from '../../../scripts/amd-corpus.js';

export const SPEECH_ENCODINGS = ['pcm_s16le', 'pcm_f32le', 'pcm_mulaw', 'pcm_alaw'] as const;
export type SpeechEncoding = (typeof SPEECH_ENCODINGS)[number];

export function isSpeechEncoding(x: unknown): x is SpeechEncoding {
  return (SPEECH_ENCODINGS as readonly unknown[]).includes(x);
}

const SOX_ENCODING: Record<SpeechEncoding, string[]> = {
  pcm_s16le: ['-e', 'signed-integer', '-b', '16', '-L'],
  pcm_f32le: ['-e', 'floating-point', '-b', '32', '-L'],
  pcm_mulaw: ['-e', 'mu-law', '-b', '8'],
  pcm_alaw: ['-e', 'a-law', '-b', '8'],
};

export const BYTES_PER_SAMPLE: Record<SpeechEncoding, number> = { pcm_s16le: 2, pcm_f32le: 4, pcm_mulaw: 1, pcm_alaw: 1 };

export interface SpeechFormat {
  sampleRate: number;
  encoding: SpeechEncoding;
  /** An espeak-ng voice, e.g. 'en-us'. */
  voice?: string;
}

/** Mono raw audio of `text` in the given format; empty text gives no bytes. */
export async function speak(text: string, format: SpeechFormat): Promise<Buffer> {
  if (text.trim() === '') return Buffer.alloc(0);
  const wav = await run('espeak-ng', ['-v', format.voice ?? 'en-us', '--stdout', text]);
  return run(
    'sox',
    ['-R', '-D', '-t', 'wav', '-', '-t', 'raw', ...SOX_ENCODING[format.encoding], '-c', '1', '-r', String(format.sampleRate), '-', 'gain', '-n', '-3'],
    wav,
  );
}

/** speak() with results kept per (text, format), as repeated lines cost nothing after the first. */
export function cachedSpeaker(maxEntries = 256): (text: string, format: SpeechFormat) => Promise<Buffer> {
  const cache = new Map<string, Promise<Buffer>>();
  return (text, format) => {
    const key = JSON.stringify([text, format.sampleRate, format.encoding, format.voice ?? '']);
    let audio = cache.get(key);
    if (!audio) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      audio = speak(text, format);
      // A failed synthesis is not remembered: the next request tries again.
      audio.catch(() => cache.delete(key));
      cache.set(key, audio);
    }
    return audio;
  };
}
