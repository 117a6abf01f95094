/**
 * Streaming decoder: one frame in, HOP (320) samples out. With the zero-delay framing of
 * DESIGN §1, frame j yields signal samples [(j−1)·320, j·320): the output of the first frame is
 * the front padding and a caller that wants lag 0 drops it (decodeSpeech does).
 */
import { MdctSynthesizer } from '../dsp/mdct-stream.js';
import { HOP } from '../dsp/window.js';
import { CorruptDataError } from '../errors.js';
import type { CodecModel } from '../model/codec-model.js';
import { FrameDecoder } from '../coding/frame-coder.js';
import type { DecoderTuning } from '../coding/post-filter.js';
import { HarmonicPostFilter } from '../coding/harmonic-post-filter.js';
import type { Bitrate } from './modes.js';

export class Decoder {
  readonly frameBytes: number;
  readonly bitrate: Bitrate;
  private readonly synth = new MdctSynthesizer(HOP);
  private readonly frames: FrameDecoder;
  private readonly coeffs: Float64Array;
  private readonly harmonic: HarmonicPostFilter;

  /** `tuning` overrides the mode's decoder tools (post-filter.ts DEFAULT_TUNING), for experiments. */
  constructor(model: CodecModel, bitrate: Bitrate, tuning: Partial<DecoderTuning> = {}) {
    this.bitrate = bitrate;
    this.frames = new FrameDecoder(model, bitrate, tuning);
    this.frameBytes = this.frames.frameBytes;
    this.harmonic = new HarmonicPostFilter(HOP, this.frames.tuning.harmonicCutoffHz);
    this.coeffs = new Float64Array(model.bins);
  }

  /** Decode one frame of exactly frameBytes bytes into HOP samples. */
  decodeFrame(frame: Uint8Array): Float32Array {
    if (frame.length !== this.frameBytes) {
      throw new CorruptDataError(`frame has ${frame.length} bytes, ${this.bitrate} bit/s frames have ${this.frameBytes}`);
    }
    this.frames.decode(frame, this.coeffs);
    const y = new Float32Array(this.synth.push(this.coeffs)); // typed copy (Float32Array.from iterates)
    const strength = this.frames.tuning.harmonicStrength;
    if (strength > 0) this.harmonic.apply(y, this.frames.lastCombLag, strength);
    return y;
  }

  /** The frame decoder (for tests). */
  get frameDecoder(): FrameDecoder {
    return this.frames;
  }
}
