// The AMD engine on a small slice of the espeak-ng/sox corpus. Needs both tools (CI installs
// them); without them the suite is skipped with a message saying so.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusToolsAvailable, generateCorpus, SLICE_COUNT } from '../../scripts/amd-corpus.js';
import { analyseAudio } from '../../src/agent/amd/analyse.js';
import { scoreVerdicts, type LabelledVerdict } from '../../src/agent/amd/evaluation.js';
import { appAmdDefaultParams } from '../../src/agent/amd/params.js';
import { parseWav } from '../../src/agent/amd/wav.js';

const toolsPresent = await corpusToolsAvailable();
if (!toolsPresent) console.warn('amd-corpus: espeak-ng or sox missing (apt-get install -y espeak-ng sox); skipping');

describe.skipIf(!toolsPresent)('AMD on a slice of the synthetic corpus', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('classifies the slice with few mistakes and never takes a person for a machine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amd-corpus-'));
    dirs.push(dir);
    const labels = await generateCorpus({ out: dir, count: SLICE_COUNT, seed: 1 });
    expect(labels.filter((l) => l.label === 'human')).toHaveLength(SLICE_COUNT / 2);

    const tuned: LabelledVerdict[] = [];
    const baseline: LabelledVerdict[] = [];
    for (const label of labels) {
      const audio = parseWav(await readFile(join(dir, label.file)));
      expect(audio.sampleRate).toBe(label.sampleRate);
      const base = {
        label: label.label,
        ...(label.humanPhraseEndMs !== undefined ? { humanPhraseEndMs: label.humanPhraseEndMs } : {}),
        ...(label.beepAtMs !== undefined ? { beepAtMs: label.beepAtMs } : {}),
      };
      tuned.push({ ...base, verdict: analyseAudio(audio) });
      baseline.push({ ...base, verdict: analyseAudio(audio, { params: appAmdDefaultParams }) });
    }
    const score = scoreVerdicts(tuned);
    expect(score.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(score.humanAsMachineRate).toBe(0);
    expect(score.beepMissRate).toBe(0);
    expect(score.beepErrorMsP90).toBeLessThanOrEqual(150);
    expect(score.accuracy).toBeGreaterThan(scoreVerdicts(baseline).accuracy);
  });
});
