// Public surface of the AMD engine.
export { createAmdDetector, BLOCK_MS, type AmdDetector, type AmdDetectorOptions } from './detector.js';
export { appAmdDefaultParams, tunedAmdParams, withAmdParams, type AmdParamOverrides } from './params.js';
export { findMachineCue, normaliseTranscript } from './cues.js';
export { parseWav, encodeWav, WavFormatError, type PcmAudio } from './wav.js';
export type { AmdCause, AmdParams, AmdResult, AmdVerdict, BeepParams, CadenceParams, SegmenterParams } from './types.js';
