/**
 * nsvq-codec's library entry point: the codec, audio I/O, DSP and metrics. Nothing reachable
 * from here loads TensorFlow.js (DESIGN §5); the trainable quantizers are in `nsvq-codec/vq`.
 */
export * from './errors.js';

// Codec: whole-signal helpers, streaming classes, modes, container.
export { encodeSpeech, decodeSpeech, checkModelMatches } from './codec/codec.js';
export { Encoder } from './codec/encoder.js';
export { Decoder } from './codec/decoder.js';
export { type LossSpec, lossMask, maskStats, parseLostFrames } from './codec/loss-pattern.js';
export { BITRATES, type Bitrate, frameBits, frameBytes, parseBitrate, isBitrate } from './coding/modes.js';
export { type StreamHeader, readHeader, writeHeader, HEADER_BYTES } from './coding/container.js';

// Model file.
export {
  type CodecModel, loadModel, parseModel, serializeModel, modelIdOf, envelopeOf, varianceFromEnvelope,
} from './model/codec-model.js';

// Audio I/O.
export { loadSpeech, type SpeechSignal, CODEC_SAMPLE_RATE } from './audio/load.js';
export { decodeAudioFile, type DecodedAudio } from './audio/decode.js';
export { openSpeechStream, type SpeechStream } from './audio/stream.js';
export { resample, StreamResampler } from './audio/resample.js';
export { writeWav16, WavWriter16 } from './audio/wav-write.js';

// Metrics.
export { scorePair, type MetricResult } from './eval/metrics.js';
export { psnr } from './eval/psnr.js';
export { stoi, estoi } from './eval/stoi.js';
export { pesqWb, pesqDetailed, type PesqResult } from './eval/pesq.js';
export { findLag, applyLag } from './eval/align.js';

// DSP.
export { Mdct } from './dsp/mdct.js';
export { MdctAnalyzer, MdctSynthesizer, analyzeSignal, synthesizeSignal } from './dsp/mdct-stream.js';
export { HOP, WINDOW_LENGTH, lowOverlapWindow } from './dsp/window.js';
export {
  autocorrelation, levinson, gaussianLagWindow, lpcFromPowerSpectrum, lpcResponseAtBins,
} from './dsp/lpc.js';

// Exact nearest-codeword search (plain TypeScript / WebAssembly, no TF.js).
export { nearestCodewords, codewordNorms } from './vq/search.js';
