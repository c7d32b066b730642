import { describe, expect, it } from 'vitest';
import { alawToLinear, encodeWav, linearToMulaw, mulawToLinear, parseWav, WavFormatError } from './wav.js';

function header(opts: { format: number; channels: number; rate: number; bits: number; dataSize: number }): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + opts.dataSize), 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(opts.format, 20);
  h.writeUInt16LE(opts.channels, 22);
  h.writeUInt32LE(opts.rate, 24);
  h.writeUInt32LE((opts.rate * opts.channels * opts.bits) / 8, 28);
  h.writeUInt16LE((opts.channels * opts.bits) / 8, 32);
  h.writeUInt16LE(opts.bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(opts.dataSize, 40);
  return h;
}

describe('wav', () => {
  it('reads back PCM16 it wrote, sample for sample', () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321]);
    const parsed = parseWav(encodeWav({ sampleRate: 16000, samples }));
    expect(parsed.sampleRate).toBe(16000);
    expect(Array.from(parsed.samples)).toEqual(Array.from(samples));
  });

  it('round-trips μ-law within the codec quantisation step', () => {
    const samples = Int16Array.from({ length: 400 }, (_, i) => Math.round(20000 * Math.sin(i / 7)));
    const parsed = parseWav(encodeWav({ sampleRate: 8000, samples }, 'mulaw'));
    expect(parsed.sampleRate).toBe(8000);
    parsed.samples.forEach((s, i) => {
      const original = samples[i] ?? 0;
      expect(Math.abs(s - original)).toBeLessThanOrEqual(Math.max(8, Math.abs(original) / 16));
    });
  });

  it('decodes the G.711 reference points', () => {
    expect(mulawToLinear(0xff)).toBe(0);
    expect(mulawToLinear(0x80)).toBe(32124);
    expect(mulawToLinear(0x00)).toBe(-32124);
    expect(linearToMulaw(0)).toBe(0xff);
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
  });

  it('reads a stream whose writer left the data size unset', () => {
    const body = Buffer.alloc(8);
    [100, -100, 200, -200].forEach((v, i) => body.writeInt16LE(v, i * 2));
    const wav = Buffer.concat([header({ format: 1, channels: 1, rate: 8000, bits: 16, dataSize: 0xffffffff }), body]);
    expect(Array.from(parseWav(wav).samples)).toEqual([100, -100, 200, -200]);
  });

  it('averages stereo to mono and skips unknown chunks', () => {
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0')]);
    const h = header({ format: 1, channels: 2, rate: 8000, bits: 16, dataSize: 8 });
    const body = Buffer.alloc(8);
    [100, 300, -50, -150].forEach((v, i) => body.writeInt16LE(v, i * 2));
    const wav = Buffer.concat([h.subarray(0, 36), list, h.subarray(36), body]);
    expect(Array.from(parseWav(wav).samples)).toEqual([200, -100]);
  });

  it('reads 8-bit unsigned PCM', () => {
    const wav = Buffer.concat([header({ format: 1, channels: 1, rate: 8000, bits: 8, dataSize: 3 }), Buffer.from([128, 255, 0])]);
    expect(Array.from(parseWav(wav).samples)).toEqual([0, 127 << 8, -128 << 8]);
  });

  it('rejects what it cannot decode with a WavFormatError', () => {
    expect(() => parseWav(Buffer.from('not a wav file at all'))).toThrow(WavFormatError);
    const float = header({ format: 3, channels: 1, rate: 8000, bits: 32, dataSize: 4 });
    expect(() => parseWav(Buffer.concat([float, Buffer.alloc(4)]))).toThrow(/unsupported/);
    expect(() => parseWav(header({ format: 1, channels: 1, rate: 8000, bits: 16, dataSize: 0 }).subarray(0, 36))).toThrow(/no data/);
  });
});
