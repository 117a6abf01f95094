/**
 * nsvq-codec for web pages and workers (`nsvq-codec/web`): the streaming codec, the model
 * loader (bytes or URL), in-memory audio decoding and WAV writing, and the metrics. Nothing
 * reachable from here imports a Node built-in (test/web-entry.test.ts bundles it for the
 * browser to check); the WebAssembly kernels are generated in memory and need no files.
 */
export * from '../errors.js';

// Codec.
export { encodeSpeech, decodeSpeech, checkModelMatches, originalLengthFor } from '../codec/codec.js';
export { Encoder } from '../codec/encoder.js';
export { Decoder } from '../codec/decoder.js';
export { BITRATES, type Bitrate, frameBits, frameBytes, parseBitrate, isBitrate } from '../coding/modes.js';
export { type StreamHeader, readHeader, writeHeader, HEADER_BYTES, CODEC_RATE, FORMAT_VERSION, codedLength, frameCountFor } from '../coding/container.js';

// Model.
export { type CodecModel, parseModel, modelIdOf } from '../model/model-format.js';
export { loadModel, type ModelSource } from './load-model.js';

// Audio in memory.
export { decodeAudioBytes, decodesNatively, type CompressedDecoder, type DecodedChannels } from './audio-input.js';
export { probeAudio, type ProbedAudio } from '../audio/probe.js';
export { downmix } from '../audio/downmix.js';
export { resample, StreamResampler } from '../audio/resample.js';
export { wav16File } from '../audio/wav-bytes.js';
export { parseWav } from '../audio/wav.js';
export { wasmKernels, type WasmKernels } from './wasm-status.js';

// Metrics.
export { scorePair, type MetricResult } from '../eval/metrics.js';
export { psnr } from '../eval/psnr.js';
export { stoi, estoi } from '../eval/stoi.js';
export { pesqWb, pesqDetailed, type PesqResult } from '../eval/pesq.js';
export { findLag, applyLag } from '../eval/align.js';
