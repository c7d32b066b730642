// RIFF/WAVE reading and writing for the AMD engine, its CLI and its corpus. Reads mono or
// multi-channel PCM16, 8-bit PCM, μ-law and A-law (the telephone encodings) and always hands
// back mono Int16 samples, so everything downstream deals with one sample shape.

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

export interface PcmAudio {
  sampleRate: number;
  /** Mono, 16-bit signed; multi-channel input is averaged. */
  samples: Int16Array;
}

const FORMAT_PCM = 1;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

/** ITU-T G.711 μ-law byte → linear 16-bit sample. */
export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/** Linear 16-bit sample → ITU-T G.711 μ-law byte. */
export function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** ITU-T G.711 A-law byte → linear 16-bit sample. */
export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const sign = a & 0x80;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = (mantissa << 4) + 8;
  if (exponent !== 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return sign ? magnitude : -magnitude;
}

interface FmtChunk {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function readFmt(buf: Buffer, offset: number, size: number): FmtChunk {
  if (size < 16) throw new WavFormatError('fmt chunk shorter than 16 bytes');
  let format = buf.readUInt16LE(offset);
  // WAVE_FORMAT_EXTENSIBLE carries the real format code in the first two bytes of its sub-format GUID.
  if (format === FORMAT_EXTENSIBLE && size >= 26) format = buf.readUInt16LE(offset + 24);
  return {
    format,
    channels: buf.readUInt16LE(offset + 2),
    sampleRate: buf.readUInt32LE(offset + 4),
    blockAlign: buf.readUInt16LE(offset + 12),
    bitsPerSample: buf.readUInt16LE(offset + 14),
  };
}

function decodeSample(buf: Buffer, at: number, fmt: FmtChunk): number {
  if (fmt.format === FORMAT_PCM && fmt.bitsPerSample === 16) return buf.readInt16LE(at);
  if (fmt.format === FORMAT_PCM && fmt.bitsPerSample === 8) return (buf.readUInt8(at) - 128) << 8;
  if (fmt.format === FORMAT_MULAW) return mulawToLinear(buf.readUInt8(at));
  return alawToLinear(buf.readUInt8(at));
}

function checkSupported(fmt: FmtChunk): void {
  const ok =
    (fmt.format === FORMAT_PCM && (fmt.bitsPerSample === 16 || fmt.bitsPerSample === 8)) ||
    ((fmt.format === FORMAT_MULAW || fmt.format === FORMAT_ALAW) && fmt.bitsPerSample === 8);
  if (!ok) throw new WavFormatError(`unsupported WAV encoding: format ${fmt.format}, ${fmt.bitsPerSample} bits`);
  if (fmt.channels < 1) throw new WavFormatError('WAV has no channels');
  if (fmt.sampleRate <= 0) throw new WavFormatError('WAV sample rate is zero');
}

/** Parses a WAV file's bytes into mono 16-bit samples. */
export function parseWav(buf: Buffer): PcmAudio {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let fmt: FmtChunk | null = null;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    // Streaming writers (sox to a pipe, espeak-ng --stdout) leave the data size as 0 or 0xFFFFFFFF.
    const declared = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') fmt = readFmt(buf, body, declared);
    if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      checkSupported(fmt);
      const available = buf.length - body;
      const size = declared === 0 || declared > available ? available : declared;
      return decodeData(buf, body, size, fmt);
    }
    offset = body + declared + (declared % 2);
  }
  throw new WavFormatError('no data chunk');
}

function decodeData(buf: Buffer, start: number, size: number, fmt: FmtChunk): PcmAudio {
  const bytesPerSample = fmt.bitsPerSample / 8;
  const frameBytes = fmt.blockAlign || bytesPerSample * fmt.channels;
  const frames = Math.floor(size / frameBytes);
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < fmt.channels; c++) sum += decodeSample(buf, start + i * frameBytes + c * bytesPerSample, fmt);
    samples[i] = Math.round(sum / fmt.channels);
  }
  return { sampleRate: fmt.sampleRate, samples };
}

/** Encodes mono samples as a PCM16 or μ-law WAV file. */
export function encodeWav(audio: PcmAudio, encoding: 'pcm16' | 'mulaw' = 'pcm16'): Buffer {
  const bytesPerSample = encoding === 'pcm16' ? 2 : 1;
  const dataSize = audio.samples.length * bytesPerSample;
  const buf = Buffer.alloc(44 + dataSize);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataSize, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(encoding === 'pcm16' ? FORMAT_PCM : FORMAT_MULAW, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(audio.sampleRate, 24);
  buf.writeUInt32LE(audio.sampleRate * bytesPerSample, 28);
  buf.writeUInt16LE(bytesPerSample, 32);
  buf.writeUInt16LE(bytesPerSample * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataSize, 40);
  audio.samples.forEach((s, i) => {
    if (encoding === 'pcm16') buf.writeInt16LE(s, 44 + i * 2);
    else buf.writeUInt8(linearToMulaw(s), 44 + i);
  });
  return buf;
}
