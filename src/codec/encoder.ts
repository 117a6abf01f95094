/**
 * Streaming encoder: 16 kHz samples in, constant-size frames out (DESIGN §1). Input goes through
 * the pitch pre-filter (coding/pitch-filter.ts) one 320-sample segment at a time, then the MDCT;
 * frame j outputs segment j − 1, so it carries the pitch parameters chosen for that segment.
 * Memory is bounded by one MDCT block; frames come out as soon as their 2N-sample block is complete.
 */
import { MdctAnalyzer } from '../dsp/mdct-stream.js';
import { HOP } from '../dsp/window.js';
import type { CodecModel } from '../model/model-format.js';
import { FrameEncoder, type EncoderTuning } from '../coding/frame-encoder.js';
import type { Bitrate } from '../coding/modes.js';
import { PITCH_OFF, PitchPreFilter, type PitchParams, type PitchTuning } from '../coding/pitch-filter.js';

/** Encoder-only choices: the frame coder's (EncoderTuning) and the pitch pre-filter's. */
export type EncoderSettings = Partial<EncoderTuning> & { pitch?: Partial<PitchTuning> };

/** Input samples are clamped to ±MAX_SAMPLE (30 dB above full scale); NaN/±∞ become 0. */
export const MAX_SAMPLE = 32;

export class Encoder {
  readonly frameBytes: number;
  readonly bitrate: Bitrate;
  private readonly analyzer = new MdctAnalyzer(HOP);
  private readonly frames: FrameEncoder;
  private readonly pitch: PitchPreFilter;
  /** The segment being filled, and how much of it is. */
  private readonly segment = new Float64Array(HOP);
  private fill = 0;
  private readonly filtered = new Float64Array(HOP);
  /** Parameters of the last segment given to the MDCT: the next frame carries them. */
  private carry: PitchParams = PITCH_OFF;

  constructor(model: CodecModel, bitrate: Bitrate, tuning: EncoderSettings = {}) {
    this.bitrate = bitrate;
    this.frames = new FrameEncoder(model, bitrate, tuning);
    this.frameBytes = this.frames.frameBytes;
    this.pitch = new PitchPreFilter(tuning.pitch);
  }

  /** Feed samples (any chunk size); returns the frames completed by them. */
  push(samples16k: ArrayLike<number>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seg = this.segment;
    for (let i = 0; i < samples16k.length; i++) {
      const v = samples16k[i];
      seg[this.fill++] = v > MAX_SAMPLE ? MAX_SAMPLE : v < -MAX_SAMPLE ? -MAX_SAMPLE : v === v ? v : 0;
      if (this.fill === HOP) this.segmentDone(out);
    }
    return out;
  }

  /** End of input: the remaining frames, so that ⌈L/320⌉ + 1 frames came out in total. */
  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.fill > 0) {
      // The last, partial segment is zero-padded to a whole one: still ⌈L/320⌉ segments.
      this.segment.fill(0, this.fill);
      this.segmentDone(out);
    }
    for (const f of this.analyzer.flush()) out.push(this.frames.encode(f, this.carry));
    this.carry = PITCH_OFF;
    this.pitch.reset();
    return out;
  }

  private segmentDone(out: Uint8Array[]): void {
    this.fill = 0;
    const params = this.pitch.process(this.segment, this.filtered);
    for (const f of this.analyzer.push(this.filtered)) out.push(this.frames.encode(f, this.carry));
    this.carry = params;
  }

  /** The frame encoder (for statistics and experiments). */
  get frameEncoder(): FrameEncoder {
    return this.frames;
  }
}
