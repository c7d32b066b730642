// `outdial amd <file.wav>…`: runs the AMD engine (tuned parameters) over recordings and prints
// one JSON line per file, {file, result, cause, decidedAtMs, beepAtMs}, as the contract says.
// Any PCM, μ-law or A-law WAV at any rate is accepted (amd/resample.ts).
// A file that cannot be read still gets a line, with result "error"; the exit code is then 1.
import { readFile } from 'node:fs/promises';
import { analyseAudio } from './amd/analyse.js';
import { toDetectorRate } from './amd/resample.js';
import { parseWav } from './amd/wav.js';

export async function runAmdCli(files: string[], out: (line: string) => void): Promise<number> {
  let failures = 0;
  for (const file of files) {
    try {
      const verdict = analyseAudio(toDetectorRate(parseWav(await readFile(file))), { frameMs: 20 });
      out(
        JSON.stringify({
          file,
          result: verdict.result,
          cause: verdict.cause,
          decidedAtMs: verdict.decidedAtMs,
          beepAtMs: verdict.beepAtMs ?? null,
        }),
      );
    } catch (err) {
      failures++;
      out(JSON.stringify({ file, result: 'error', cause: err instanceof Error ? err.message : String(err), decidedAtMs: null, beepAtMs: null }));
    }
  }
  return failures === 0 ? 0 : 1;
}
