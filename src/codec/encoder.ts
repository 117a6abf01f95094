/**
 * Streaming encoder: 16 kHz samples in, constant-size frames out (DESIGN §1). Memory is bounded
 * by one MDCT block; frames come out as soon as their 2N-sample block is complete.
 */
import { MdctAnalyzer } from '../dsp/mdct-stream.js';
import { HOP } from '../dsp/window.js';
import type { CodecModel } from '../model/model-format.js';
import { FrameEncoder, type EncoderTuning } from '../coding/frame-encoder.js';
import type { Bitrate } from '../coding/modes.js';

/** Input samples are clamped to ±MAX_SAMPLE (30 dB above full scale); NaN/±∞ become 0. */
export const MAX_SAMPLE = 32;

export class Encoder {
  readonly frameBytes: number;
  readonly bitrate: Bitrate;
  private readonly analyzer = new MdctAnalyzer(HOP);
  private readonly frames: FrameEncoder;

  constructor(model: CodecModel, bitrate: Bitrate, tuning: Partial<EncoderTuning> = {}) {
    this.bitrate = bitrate;
    this.frames = new FrameEncoder(model, bitrate, tuning);
    this.frameBytes = this.frames.frameBytes;
  }

  /** Feed samples (any chunk size); returns the frames completed by them. */
  push(samples16k: ArrayLike<number>): Uint8Array[] {
    const x = new Float64Array(samples16k.length);
    for (let i = 0; i < x.length; i++) {
      const v = samples16k[i];
      x[i] = v > MAX_SAMPLE ? MAX_SAMPLE : v < -MAX_SAMPLE ? -MAX_SAMPLE : v === v ? v : 0;
    }
    return this.analyzer.push(x).map((f) => this.frames.encode(f));
  }

  /** End of input: the remaining frames, so that ⌈L/320⌉ + 1 frames came out in total. */
  flush(): Uint8Array[] {
    return this.analyzer.flush().map((f) => this.frames.encode(f));
  }

  /** The frame encoder (for statistics and experiments). */
  get frameEncoder(): FrameEncoder {
    return this.frames;
  }
}
