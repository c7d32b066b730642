// AMD benchmark over the full synthetic corpus (generated when missing): our tuned engine
// against Asterisk app_amd's default parameters. Audio is fed in 20 ms frames. The headline
// figures are audio-only; a second run adds transcript cues derived honestly from the corpus
// (each phrase's known text, delivered RECOGNISER_LATENCY_MS after its last sample).
// Last stdout line: one JSON object.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyseAudio, type TranscriptSegment } from '../src/agent/amd/analyse.js';
import { scoreVerdicts, type AmdScore, type LabelledVerdict } from '../src/agent/amd/evaluation.js';
import { appAmdDefaultParams, tunedAmdParams } from '../src/agent/amd/params.js';
import type { AmdParams } from '../src/agent/amd/types.js';
import { parseWav } from '../src/agent/amd/wav.js';
import { DEFAULT_CORPUS_COUNT, DEFAULT_CORPUS_DIR, generateCorpus, type CorpusLabel } from '../scripts/amd-corpus.js';

const RECOGNISER_LATENCY_MS = 300;
const FRAME_MS = 20;

async function loadLabels(dir: string): Promise<CorpusLabel[]> {
  const path = join(dir, 'labels.json');
  if (!existsSync(path)) {
    process.stderr.write(`no corpus in ${dir}; generating ${DEFAULT_CORPUS_COUNT} files\n`);
    return generateCorpus({ out: dir, count: DEFAULT_CORPUS_COUNT, seed: 1 });
  }
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { files: CorpusLabel[] };
  return parsed.files;
}

function transcriptOf(label: CorpusLabel): TranscriptSegment[] {
  return label.segments.map((s) => ({ text: s.text, atMs: s.endMs + RECOGNISER_LATENCY_MS }));
}

interface Run {
  name: string;
  params: AmdParams;
  transcript: boolean;
  items: LabelledVerdict[];
}

function describeMiss(label: CorpusLabel, item: LabelledVerdict): string {
  const v = item.verdict;
  return `${label.file} ${label.kind} ${label.voice} ${label.sampleRate}Hz bed=${label.bed}: ${v.result}/${v.cause}@${v.decidedAtMs} beep=${v.beepAtMs ?? '-'} (true ${label.beepAtMs ?? '-'})`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { corpus: { type: 'string' }, verbose: { type: 'boolean' } } });
  const dir = resolve(values.corpus ?? DEFAULT_CORPUS_DIR);
  const labels = await loadLabels(dir);
  const runs: Run[] = [
    { name: 'tuned', params: tunedAmdParams, transcript: false, items: [] },
    { name: 'baseline', params: appAmdDefaultParams, transcript: false, items: [] },
    { name: 'tunedWithTranscript', params: tunedAmdParams, transcript: true, items: [] },
  ];
  const started = Date.now();
  for (const label of labels) {
    const audio = parseWav(await readFile(join(dir, label.file)));
    for (const run of runs) {
      const verdict = analyseAudio(audio, {
        params: run.params,
        frameMs: FRAME_MS,
        ...(run.transcript ? { transcript: transcriptOf(label) } : {}),
      });
      const item: LabelledVerdict = {
        label: label.label,
        verdict,
        ...(label.humanPhraseEndMs !== undefined ? { humanPhraseEndMs: label.humanPhraseEndMs } : {}),
        ...(label.beepAtMs !== undefined ? { beepAtMs: label.beepAtMs } : {}),
      };
      run.items.push(item);
      const wrong = verdict.result !== label.label;
      const beepOff = label.beepAtMs !== undefined && Math.abs((verdict.beepAtMs ?? -1e9) - label.beepAtMs) > 150;
      if (values.verbose && run.name !== 'baseline' && (wrong || beepOff)) process.stderr.write(`[${run.name}] ${describeMiss(label, item)}\n`);
    }
  }
  const [tuned, baseline, withTranscript] = runs.map((r) => scoreVerdicts(r.items)) as [AmdScore, AmdScore, AmdScore];
  const seconds = (Date.now() - started) / 1000;
  const audioSeconds = labels.reduce((s, l) => s + l.durationMs, 0) / 1000;
  process.stderr.write(`analysed ${labels.length} files (${audioSeconds.toFixed(0)} s of audio) ×3 in ${seconds.toFixed(1)} s\n`);
  console.log(
    JSON.stringify({
      ...tuned,
      transcriptCuesUsed: false,
      frameMs: FRAME_MS,
      baseline: { ...baseline, params: 'app_amd defaults (amd.conf.sample)' },
      withTranscriptCues: { ...withTranscript, recogniserLatencyMs: RECOGNISER_LATENCY_MS },
      notes: 'humanDecisionMs counts from the end of the first phrase over humans recognised as human; uncertain counts as wrong',
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
