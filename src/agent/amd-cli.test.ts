import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAmdCli } from './amd-cli.js';
import { concat, seededRandom, silence, toInt16, tone, utterance } from './amd/testing/signals.js';
import { encodeWav } from './amd/wav.js';

describe('outdial amd', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amd-cli-'));
    const rand = seededRandom(1);
    const human = toInt16(concat([silence(500, 8000), utterance(2, -15, 8000, rand), silence(2000, 8000)]));
    await writeFile(join(dir, 'human.wav'), encodeWav({ sampleRate: 8000, samples: human }, 'mulaw'));
    const greeting = Array.from({ length: 3 }, () => [utterance(10, -15, 16000, rand), silence(300, 16000)]).flat();
    const machine = toInt16(concat([silence(300, 16000), ...greeting, tone(1000, 300, -12, 16000), silence(1000, 16000)]));
    await writeFile(join(dir, 'machine.wav'), encodeWav({ sampleRate: 16000, samples: machine }));
    await writeFile(join(dir, 'broken.wav'), 'not audio');
    // espeak-ng's own rate, and a greeting cut off before any rule could decide.
    const greeting22 = Array.from({ length: 3 }, () => [utterance(10, -15, 22050, rand), silence(300, 22050)]).flat();
    const machine22 = toInt16(concat([silence(300, 22050), ...greeting22, tone(1000, 300, -12, 22050), silence(1000, 22050)]));
    await writeFile(join(dir, 'machine-22050.wav'), encodeWav({ sampleRate: 22050, samples: machine22 }));
    const cut = toInt16(concat([silence(300, 8000), utterance(3, -15, 8000, rand)]));
    await writeFile(join(dir, 'cut.wav'), encodeWav({ sampleRate: 8000, samples: cut }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints one JSON line per file with the contract fields', async () => {
    const lines: string[] = [];
    const code = await runAmdCli([join(dir, 'human.wav'), join(dir, 'machine.wav')], (l) => lines.push(l));
    expect(code).toBe(0);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ file: join(dir, 'human.wav'), result: 'human', cause: 'silence_after_greeting', beepAtMs: null });
    expect(parsed[1]).toMatchObject({ file: join(dir, 'machine.wav'), result: 'machine' });
    expect(typeof parsed[1]?.beepAtMs).toBe('number');
    expect(Object.keys(parsed[0] ?? {})).toEqual(['file', 'result', 'cause', 'decidedAtMs', 'beepAtMs']);
  });

  it('takes a WAV at 22,050 Hz as espeak-ng writes it, and finds the beep', async () => {
    const lines: string[] = [];
    expect(await runAmdCli([join(dir, 'machine-22050.wav')], (l) => lines.push(l))).toBe(0);
    const v = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(v).toMatchObject({ result: 'machine' });
    expect(typeof v.beepAtMs).toBe('number');
  });

  it('names a clip that ends before a decision audio_ended, not analysis_timeout', async () => {
    const lines: string[] = [];
    expect(await runAmdCli([join(dir, 'cut.wav')], (l) => lines.push(l))).toBe(0);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ result: 'uncertain', cause: 'audio_ended' });
  });

  it('reports an unreadable file on its own line and exits 1', async () => {
    const lines: string[] = [];
    const code = await runAmdCli([join(dir, 'broken.wav'), join(dir, 'human.wav')], (l) => lines.push(l));
    expect(code).toBe(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ result: 'error' });
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ result: 'human' });
  });
});
