// What the sipp phones say: 8 kHz mono G.711 µ-law WAV files spoken by espeak-ng and shaped by
// sox, which sipp's rtp_stream sends as PCMU RTP. Generated on first use into a cache folder
// outside the work tree (never committed); the folder's name carries a hash of the recipe, so a
// changed recipe makes new files instead of reusing stale ones.
import { run } from '../../../scripts/amd-corpus.js';
import { createHash } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The recipe of every file. Silence and tone lengths are in seconds. */
export const PHONE_AUDIO = {
  /** A person picking up: a short question, then listening (silence) for the rest of the call. */
  hello: { say: 'Hello? Who is this?', leadS: 0.4, tailS: 40 },
  /** A person who only says "Hello?" before listening: AMD hears a short greeting and decides human soon. */
  short_hello: { say: 'Hello?', leadS: 0.4, tailS: 40 },
  /** An answering machine: a greeting, the beep, then recording (silence). */
  voicemail: {
    say: "Hi, you've reached Alex Morgan. I can't take your call right now. Please leave your name, number and a short message after the tone, and I will call you back.",
    leadS: 0.3,
    beep: { hz: 1000, gapS: 0.5, lengthS: 0.6 },
    tailS: 40,
  },
  /**
   * A person in a conversation: "Hello? Who is this?", then a short answer at firstAnswerAtS and
   * every everyS after it (answerCount in all), then silence. What the answers *mean* comes from
   * the STT double's script; the phone only has to speak when a person would.
   */
  talker: { say: 'Hello? Who is this?', answer: 'Yes, that works for me.', leadS: 0.4, firstAnswerAtS: 10, everyS: 6, answerCount: 4, tailS: 40 },
  /** What the phone sends while it says nothing (the 2 s hang-up phone). */
  silence: { tailS: 40 },
} as const;

export type PhoneAudioName = keyof typeof PHONE_AUDIO;

const VOICE = ['-v', 'en-us', '-s', '160', '-p', '50'];
// µ-law at 8 kHz, mono, band-limited like a phone line; -R -D: the same recipe gives the same bytes.
const MULAW_OUT = ['-t', 'wav', '-e', 'u-law', '-b', '8', '-c', '1', '-r', '8000'];

function cacheDir(): string {
  const recipe = JSON.stringify({ PHONE_AUDIO, VOICE, MULAW_OUT });
  const hash = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return join(process.env.OUTDIAL_PHONE_AUDIO_CACHE ?? join(tmpdir(), 'outdial-phone-audio'), hash);
}

export interface PhoneAudio {
  files: Record<PhoneAudioName, string>;
  /** Where the voicemail beep starts in voicemail.wav (ms from the first sample). */
  voicemailBeepAtMs: number;
  /** Where it ends: the machine records from here on. */
  voicemailBeepEndMs: number;
}

/** Paths of every phone's WAV file, generating missing ones. */
export async function phoneAudioFiles(): Promise<PhoneAudio> {
  const dir = cacheDir();
  await mkdir(dir, { recursive: true });
  const files = {
    hello: join(dir, 'hello.wav'),
    short_hello: join(dir, 'short-hello.wav'),
    voicemail: join(dir, 'voicemail.wav'),
    silence: join(dir, 'silence.wav'),
    talker: join(dir, 'talker.wav'),
  };
  await ensure(files.silence, (out) => sox(['-n', '-r', '8000', '-c', '1', ...MULAW_OUT, out, 'trim', '0', String(PHONE_AUDIO.silence.tailS)]));
  for (const name of ['hello', 'short_hello'] as const) {
    await ensure(files[name], async (out) => {
      const { say, leadS, tailS } = PHONE_AUDIO[name];
      const speech = `${out}.speech.wav`;
      await speak(say, speech, 0);
      await sox([speech, ...MULAW_OUT, out, 'pad', String(leadS), String(tailS)]);
      await rm(speech);
    });
  }
  await ensure(files.talker, async (out) => {
    const { say, answer, leadS, firstAnswerAtS, everyS, answerCount, tailS } = PHONE_AUDIO.talker;
    const hello = `${out}.hello.wav`;
    const reply = `${out}.answer.wav`;
    // Each part is padded with silence and cut to a fixed length, so every answer starts on time.
    await speak(say, hello, firstAnswerAtS);
    await speak(answer, reply, everyS);
    const helloPart = `${out}.hello-part.wav`;
    const answerPart = `${out}.answer-part.wav`;
    await sox([hello, helloPart, 'pad', String(leadS), '0', 'trim', '0', String(firstAnswerAtS)]);
    await sox([reply, answerPart, 'trim', '0', String(everyS)]);
    await sox([helloPart, ...Array<string>(answerCount).fill(answerPart), ...MULAW_OUT, out, 'pad', '0', String(tailS)]);
    await Promise.all([hello, reply, helloPart, answerPart].map((f) => rm(f)));
  });
  await ensure(files.voicemail, async (out) => {
    const { say, leadS, beep, tailS } = PHONE_AUDIO.voicemail;
    const speech = `${out}.speech.wav`;
    const tone = `${out}.beep.wav`;
    await speak(say, speech, beep.gapS);
    await sox(['-n', '-r', '8000', '-c', '1', '-b', '16', tone, 'synth', String(beep.lengthS), 'sine', String(beep.hz), 'gain', '-6']);
    // sox concatenates inputs given in a row: greeting (with the gap), then the beep.
    await sox([speech, tone, ...MULAW_OUT, out, 'pad', String(leadS), String(tailS)]);
    await Promise.all([rm(speech), rm(tone)]);
  });
  const { leadS, beep, tailS } = PHONE_AUDIO.voicemail;
  // The file is lead + greeting (with its gap) + beep + tail: the beep starts tail + beep before the end.
  const totalMs = await durationMs(files.voicemail);
  const voicemailBeepAtMs = Math.round(totalMs - (tailS + beep.lengthS) * 1000);
  if (voicemailBeepAtMs <= leadS * 1000) throw new Error('voicemail.wav is shorter than its recipe');
  return { files, voicemailBeepAtMs, voicemailBeepEndMs: voicemailBeepAtMs + beep.lengthS * 1000 };
}

async function durationMs(wav: string): Promise<number> {
  const out = await run('soxi', ['-s', wav]);
  return (Number(out.toString().trim()) / 8000) * 1000;
}

/** espeak-ng speech, silence-trimmed and band-limited, as 16-bit 8 kHz WAV, then gapS of silence. */
async function speak(text: string, out: string, gapS: number): Promise<void> {
  const wav = await run('espeak-ng', [...VOICE, '--stdout', text]);
  await run(
    'sox',
    ['-R', '-D', '-t', 'wav', '-', '-b', '16', '-c', '1', '-r', '8000', out,
      'silence', '1', '0.01', '-45d', 'reverse', 'silence', '1', '0.01', '-45d', 'reverse',
      'sinc', '300-3400', 'gain', '-n', '-3', 'pad', '0', String(gapS)],
    wav,
  );
}

async function sox(args: string[]): Promise<void> {
  await run('sox', ['-R', '-D', ...args]);
}

/** Makes `path` once: written under a temporary name and renamed, so a crash leaves no half file. */
async function ensure(path: string, make: (out: string) => Promise<void>): Promise<void> {
  try {
    await access(path);
    return;
  } catch {
    // not generated yet
  }
  const tmp = `${path}.${process.pid}.tmp.wav`;
  await make(tmp);
  await rename(tmp, path);
}

