// Synthesises a labelled AMD corpus: people answering and machines greeting, spoken by
// espeak-ng, trimmed, band-limited and resampled by sox, assembled here so every label
// (phrase ends, beep onset) is known to the sample. Deterministic from --seed.
//   npm run amd:corpus -- [--out DIR] [--count N] [--slice] [--seed S]
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  concat,
  musicBed,
  noise,
  seededRandom,
  silence,
  toInt16,
  tone,
  mixInto,
} from '../src/agent/amd/testing/signals.js';
import * as text from './amd-corpus-content.js';

export interface CorpusSegment {
  startMs: number;
  endMs: number;
  text: string;
}

export interface CorpusLabel {
  file: string;
  label: 'human' | 'machine';
  kind: 'human_single' | 'human_two_phrases' | 'machine_personal' | 'machine_carrier';
  sampleRate: 8000 | 16000;
  encoding: 'mulaw' | 'pcm16';
  voice: string;
  speed: number;
  bed: 'none' | 'noise' | 'music';
  durationMs: number;
  segments: CorpusSegment[];
  humanPhraseEndMs?: number;
  beepAtMs?: number;
  beepHz?: number;
  beepMs?: number;
}

export interface CorpusOptions {
  out: string;
  count: number;
  seed: number;
}

export const DEFAULT_CORPUS_DIR = '.corpus/amd';
export const DEFAULT_CORPUS_COUNT = 240;
export const SLICE_COUNT = 16;

export function run(cmd: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out));
      else reject(new Error(`${cmd} exited ${code}: ${Buffer.concat(err).toString().slice(0, 500)}`));
    });
    if (input && child.stdin) {
      // A tool that fails early closes its stdin; its exit code, not EPIPE, is the error to report.
      child.stdin.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') reject(e);
      });
      child.stdin.end(input);
    }
  });
}

/** True when both tools answer; the integration test skips without them. */
export async function corpusToolsAvailable(): Promise<boolean> {
  try {
    await run('espeak-ng', ['--version']);
    await run('sox', ['--version']);
    return true;
  } catch {
    // Absent tools are the expected way to fail here: the caller reports and skips.
    return false;
  }
}

interface Voice {
  name: string;
  speed: number;
  pitch: number;
  sampleRate: 8000 | 16000;
  peakDb: number;
}

/** One phrase spoken, silence-trimmed and band-limited, as samples at the voice's rate. */
async function speak(phrase: string, v: Voice): Promise<Float64Array> {
  const wav = await run('espeak-ng', ['-v', v.name, '-s', String(v.speed), '-p', String(v.pitch), '--stdout', phrase]);
  const band = v.sampleRate === 8000 ? ['sinc', '300-3400'] : ['sinc', '100-7000'];
  const raw = await run(
    'sox',
    // -R -D: no random dither, so the same seed gives the same bytes.
    ['-R', '-D', '-t', 'wav', '-', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-r', String(v.sampleRate), '-',
      'silence', '1', '0.01', '-45d', 'reverse', 'silence', '1', '0.01', '-45d', 'reverse', ...band, 'gain', '-n', String(v.peakDb)],
    wav,
  );
  const pcm = new Int16Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 2));
  return Float64Array.from(pcm);
}

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const between = (rand: Rand, lo: number, hi: number): number => lo + rand() * (hi - lo);

function fill(template: string, rand: Rand): string {
  const digits = Array.from({ length: 7 }, () => String(Math.floor(rand() * 10))).join(' ');
  return template
    .replaceAll('{name}', pick(rand, text.NAMES))
    .replaceAll('{name2}', pick(rand, text.NAMES))
    .replaceAll('{digits}', digits);
}

/** Sentences of a personal greeting: an opening, up to five middles, often a closing. */
function personalGreeting(rand: Rand): string[] {
  const middles = [...text.PERSONAL_MIDDLES].sort(() => rand() - 0.5).slice(0, Math.floor(rand() * 5));
  const closing = rand() < 0.8 ? [pick(rand, text.PERSONAL_CLOSINGS)] : [];
  return [pick(rand, text.PERSONAL_OPENINGS), ...middles, ...closing].map((s) => fill(s, rand));
}

interface Plan {
  label: CorpusLabel;
  phrases: Array<{ text: string; gapBeforeMs: number }>;
  tailMs: number;
}

function planFile(index: number, rand: Rand): Plan {
  const human = index % 2 === 0;
  const sampleRate = rand() < 0.5 ? 8000 : 16000;
  const voice = pick(rand, text.VOICES);
  const speed = Math.round(between(rand, 130, 200));
  const bedRoll = rand();
  const label: CorpusLabel = {
    file: `${String(index).padStart(4, '0')}-${human ? 'human' : 'machine'}.wav`,
    label: human ? 'human' : 'machine',
    kind: 'human_single',
    sampleRate,
    encoding: sampleRate === 8000 ? 'mulaw' : 'pcm16',
    voice,
    speed,
    bed: human ? (bedRoll < 0.3 ? 'noise' : 'none') : bedRoll < 0.2 ? 'music' : bedRoll < 0.4 ? 'noise' : 'none',
    durationMs: 0,
    segments: [],
  };
  if (human) {
    const phrases = [{ text: fill(pick(rand, text.HUMAN_FIRST), rand), gapBeforeMs: between(rand, 250, 1500) }];
    if (rand() < 0.5) {
      label.kind = 'human_two_phrases';
      phrases.push({ text: pick(rand, text.HUMAN_SECOND), gapBeforeMs: between(rand, 1000, 3000) });
    }
    return { label, phrases, tailMs: between(rand, 2000, 3000) };
  }
  const carrier = rand() < 0.35;
  label.kind = carrier ? 'machine_carrier' : 'machine_personal';
  const sentences = carrier ? pick(rand, text.CARRIER_GREETINGS).map((s) => fill(s, rand)) : personalGreeting(rand);
  const phrases = sentences.map((s, i) => ({ text: s, gapBeforeMs: i === 0 ? between(rand, 100, 900) : between(rand, 200, 700) }));
  if (rand() < 0.75) {
    label.beepHz = pick(rand, text.BEEP_HZ);
    label.beepMs = pick(rand, text.BEEP_MS);
  }
  return { label, phrases, tailMs: between(rand, 1500, 2500) };
}

async function renderFile(plan: Plan, rand: Rand, outDir: string): Promise<CorpusLabel> {
  const { label } = plan;
  const rate = label.sampleRate;
  const v: Voice = { name: label.voice, speed: label.speed, pitch: Math.round(between(rand, 30, 70)), sampleRate: rate, peakDb: between(rand, -22, -2) };
  const parts: Float64Array[] = [];
  let at = 0;
  for (const phrase of plan.phrases) {
    const gap = silence(phrase.gapBeforeMs, rate);
    const speech = await speak(phrase.text, v);
    const startMs = ((at + gap.length) * 1000) / rate;
    parts.push(gap, speech);
    at += gap.length + speech.length;
    label.segments.push({ startMs: Math.round(startMs), endMs: Math.round((at * 1000) / rate), text: phrase.text });
  }
  const greetingEnd = at;
  if (label.beepHz !== undefined && label.beepMs !== undefined) {
    const gap = silence(between(rand, 200, 1000), rate);
    label.beepAtMs = Math.round(((at + gap.length) * 1000) / rate);
    const beep = tone(label.beepHz, label.beepMs, between(rand, -20, -8), rate);
    parts.push(gap, beep);
    at += gap.length + beep.length;
  }
  parts.push(silence(plan.tailMs, rate));
  const audio = concat(parts);
  // Beds sit relative to the voice's peak level: a line 15–30 dB above its noise, a greeting's
  // music well under the voice, as recorded greetings are mixed.
  if (label.bed === 'noise') {
    mixInto(audio, noise((audio.length * 1000) / rate, v.peakDb - between(rand, 30, 45), rate, rand), 0);
  }
  if (label.bed === 'music') {
    mixInto(audio, musicBed((greetingEnd * 1000) / rate, v.peakDb - between(rand, 22, 30), rate, rand), 0);
  }
  if (label.label === 'human') label.humanPhraseEndMs = label.segments[0]?.endMs ?? 0;
  label.durationMs = Math.round((audio.length * 1000) / rate);
  const pcm = toInt16(audio);
  const encoding = label.encoding === 'mulaw' ? ['-e', 'u-law', '-b', '8'] : ['-e', 'signed-integer', '-b', '16'];
  await run('sox', ['-R', '-D', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-r', String(rate), '-', ...encoding, join(outDir, label.file)],
    Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  return label;
}

/** Generates the corpus and its labels.json; returns the labels. */
export async function generateCorpus(opts: CorpusOptions, progress?: (done: number) => void): Promise<CorpusLabel[]> {
  await mkdir(opts.out, { recursive: true });
  const labels: CorpusLabel[] = new Array<CorpusLabel>(opts.count);
  let next = 0;
  let done = 0;
  // Two workers: the machine has two cores and each file is two or three short processes.
  const worker = async (): Promise<void> => {
    while (next < opts.count) {
      const i = next++;
      const rand = seededRandom(opts.seed * 100_003 + i);
      labels[i] = await renderFile(planFile(i, rand), rand, opts.out);
      progress?.(++done);
    }
  };
  await Promise.all([worker(), worker()]);
  await writeFile(join(opts.out, 'labels.json'), `${JSON.stringify({ seed: opts.seed, count: opts.count, files: labels }, null, 1)}\n`);
  return labels;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, count: { type: 'string' }, slice: { type: 'boolean' }, seed: { type: 'string' } },
  });
  const out = resolve(values.out ?? DEFAULT_CORPUS_DIR);
  const count = values.slice ? SLICE_COUNT : Number(values.count ?? DEFAULT_CORPUS_COUNT);
  const seed = Number(values.seed ?? 1);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${values.count}`);
  if (!(await corpusToolsAvailable())) throw new Error('espeak-ng and sox are required: apt-get install -y espeak-ng sox');
  const started = Date.now();
  await generateCorpus({ out, count, seed }, (n) => {
    if (n % 20 === 0 || n === count) process.stderr.write(`\r${n}/${count} files`);
  });
  process.stderr.write('\n');
  console.log(JSON.stringify({ out, count, seed, seconds: (Date.now() - started) / 1000 }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
