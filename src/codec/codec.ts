/**
 * Whole-signal encode/decode: a complete stream is the container header followed by the frames
 * (src/coding/container.ts). Output is time-aligned with the input (lag 0) and has its length.
 */
import { HOP } from '../dsp/window.js';
import type { CodecModel } from '../model/model-format.js';
import { CODEC_RATE, FORMAT_VERSION, HEADER_BYTES, codedLength, frameCountFor, readHeader, streamBytes, writeHeader, type StreamHeader } from '../coding/container.js';
import { Decoder } from './decoder.js';
import type { ConcealmentTuning } from './concealment.js';
import { Encoder, type EncoderSettings } from './encoder.js';
import { checkModelMatches } from './model-check.js';
import { UserError } from '../errors.js';
import type { Bitrate } from '../coding/modes.js';
import type { DecoderTuning } from '../coding/post-filter.js';

export type { StreamHeader } from '../coding/container.js';
export { checkModelMatches };

/** Samples per push when encoding a whole signal (bounds the temporary copies). */
const CHUNK = 16000;

/**
 * The original-rate length whose 16 kHz length is `n`: `known` when given (it must map to n),
 * else the shortest such length (there is one whenever the input was downsampled to 16 kHz).
 */
export function originalLengthFor(n: number, originalRate: number, known?: number): number {
  if (known !== undefined) {
    if (codedLength(known, originalRate) !== n) {
      throw new RangeError(`${known} samples at ${originalRate} Hz do not resample to ${n} samples at 16 kHz`);
    }
    return known;
  }
  if (originalRate === CODEC_RATE) return n;
  const guess = Math.floor((n * originalRate) / CODEC_RATE);
  for (let L = Math.max(0, guess - 3); L <= guess + 3; L++) if (codedLength(L, originalRate) === n) return L;
  throw new RangeError(`no length at ${originalRate} Hz resamples to ${n} samples at 16 kHz; pass originalLength`);
}

/**
 * Encode a whole 16 kHz signal into a complete stream. `originalRate`/`originalLength` describe
 * the input before resampling (so `--rate original` can restore its exact length); without
 * `originalLength` the shortest consistent length is stored.
 */
export function encodeSpeech(
  model: CodecModel, samples16k: Float32Array, bitrate: Bitrate, originalRate = 16000, originalLength?: number, tuning: EncoderSettings = {},
): Uint8Array {
  const header: StreamHeader = {
    version: FORMAT_VERSION,
    bitrate,
    originalRate,
    originalLength: originalLengthFor(samples16k.length, originalRate, originalLength),
    frameCount: frameCountFor(samples16k.length),
    modelId: model.id,
  };
  const out = new Uint8Array(streamBytes(header));
  out.set(writeHeader(header), 0);
  const enc = new Encoder(model, bitrate, tuning);
  let pos = HEADER_BYTES;
  const put = (frames: Uint8Array[]): void => {
    for (const f of frames) {
      out.set(f, pos);
      pos += f.length;
    }
  };
  for (let i = 0; i < samples16k.length; i += CHUNK) put(enc.push(samples16k.subarray(i, i + CHUNK)));
  put(enc.flush());
  if (pos !== out.length) throw new Error(`encodeSpeech: wrote ${pos} bytes, expected ${out.length} (bug)`);
  return out;
}

/**
 * Decode a whole stream: 16 kHz samples, as many as were coded (lag 0), and the header.
 * `lost` (one byte per frame, 1 = lost; loss-pattern.ts) simulates packet loss: those frames are
 * concealed instead of decoded. Its length must be the header's frame count. `tuning` overrides
 * the mode's output-only decoder tools (post-filter.ts), for experiments.
 */
export function decodeSpeech(
  model: CodecModel,
  file: Uint8Array,
  lost?: Uint8Array,
  tuning: Partial<DecoderTuning> = {},
  concealment: Partial<ConcealmentTuning> = {},
): { samples: Float32Array; header: StreamHeader } {
  const { header, headerBytes } = readHeader(file);
  checkModelMatches(header, model);
  if (lost !== undefined && lost.length !== header.frameCount) {
    throw new UserError(`the loss pattern has ${lost.length} frames, the stream ${header.frameCount}`);
  }
  const dec = new Decoder(model, header.bitrate, tuning, concealment);
  const out = new Float32Array(codedLength(header.originalLength, header.originalRate));
  const fb = dec.frameBytes;
  for (let j = 0; j < header.frameCount; j++) {
    const y = lost?.[j] ? dec.conceal() : dec.decodeFrame(file.subarray(headerBytes + j * fb, headerBytes + (j + 1) * fb));
    if (j === 0) continue; // front padding
    const start = (j - 1) * HOP;
    const n = Math.min(HOP, out.length - start);
    if (n > 0) out.set(n === HOP ? y : y.subarray(0, n), start);
  }
  return { samples: out, header };
}
