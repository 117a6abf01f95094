/**
 * Streaming decoder: one frame in, HOP (320) samples out. With the zero-delay framing of
 * DESIGN §1, frame j yields signal samples [(j−1)·320, j·320): the output of the first frame is
 * the front padding and a caller that wants lag 0 drops it (decodeSpeech does).
 *
 * A lost frame (decodeFrame(null) or conceal()) yields 320 concealed samples
 * (concealment.ts, issue 14) through the same IMDCT and overlap-add, so the output stays
 * continuous and the next good frame decodes as usual: every field of a frame is decoded from
 * its own bytes, so after a loss only the first good frame's overlap with the concealed tail and
 * the noise fill's random signs (whose generator did not run for the lost frame) differ from
 * loss-free decoding. A stream without losses decodes exactly as without concealment: the
 * concealer only copies the output, envelope and energy of each good frame.
 */
import { MdctSynthesizer } from '../dsp/mdct-stream.js';
import { HOP } from '../dsp/window.js';
import { CorruptDataError } from '../errors.js';
import type { CodecModel } from '../model/model-format.js';
import { FrameDecoder } from '../coding/frame-decoder.js';
import { Concealer, type ConcealmentTuning } from './concealment.js';
import { harmonicBandWeights, type DecoderTuning } from '../coding/post-filter.js';
import { HarmonicPostFilter } from '../coding/harmonic-post-filter.js';
import type { Bitrate } from '../coding/modes.js';
import { PITCH_OFF, PitchPostFilter } from '../coding/pitch-filter.js';
import { PreEchoSuppressor } from '../coding/pre-echo.js';

export class Decoder {
  readonly frameBytes: number;
  readonly bitrate: Bitrate;
  private readonly synth = new MdctSynthesizer(HOP);
  private readonly frames: FrameDecoder;
  private readonly coeffs: Float64Array;
  private readonly concealer: Concealer;
  private readonly harmonic: HarmonicPostFilter;
  private readonly pitch = new PitchPostFilter();
  private readonly preEcho: PreEchoSuppressor;
  /** MDCT-domain band of the harmonic post-filter (tuning.harmonicSplitHz): bin weights, synthesis and scratch. */
  private readonly band: {
    weights: Float64Array;
    coeffs: Float64Array;
    coded: number;
    source: MdctSynthesizer;
    corr: MdctSynthesizer | null;
    /** Weighted coefficients of the last two frames whose source synthesis was skipped ([0] the older). */
    pending: [Float64Array, Float64Array];
    /** Frames skipped since the source synthesis last ran (its tail and the filter's source history are stale when > 0). */
    skipped: number;
  } | null;
  /** Skip the correction source's IMDCT in frames without a correction (same output; false for tests). */
  lazySource = true;

  /**
   * `tuning` overrides the mode's decoder tools (post-filter.ts DEFAULT_TUNING) and `concealment`
   * the packet-loss concealment's levels (concealment.ts DEFAULT_CONCEALMENT), for experiments.
   */
  constructor(model: CodecModel, bitrate: Bitrate, tuning: Partial<DecoderTuning> = {}, concealment: Partial<ConcealmentTuning> = {}) {
    this.bitrate = bitrate;
    this.concealer = new Concealer(HOP, concealment);
    this.frames = new FrameDecoder(model, bitrate, tuning);
    this.frameBytes = this.frames.frameBytes;
    const t = this.frames.tuning;
    const weights = t.harmonicStrength > 0 ? harmonicBandWeights(t, model.bins) : null;
    const coded = t.harmonicCodedWeight;
    const corr = t.harmonicCorrOnBand !== 0 ? new MdctSynthesizer(HOP) : null;
    this.band = weights
      ? { weights, coeffs: new Float64Array(model.bins), coded, source: new MdctSynthesizer(HOP), corr, pending: [new Float64Array(model.bins), new Float64Array(model.bins)], skipped: 0 }
      : null;
    this.harmonic = new HarmonicPostFilter(HOP, this.band ? 0 : t.harmonicCutoffHz);
    this.coeffs = new Float64Array(model.bins);
    this.preEcho = new PreEchoSuppressor(HOP, { strength: t.preEchoStrength, onsetRatio: t.preEchoOnsetRatio, contrast: t.preEchoContrast, floor: t.preEchoFloor, splitHz: t.preEchoSplitHz });
  }

  /** Decode one frame of exactly frameBytes bytes into HOP samples; null means the frame was lost. */
  decodeFrame(frame: Uint8Array | null): Float32Array {
    if (frame === null) return this.conceal();
    if (frame.length !== this.frameBytes) {
      throw new CorruptDataError(`frame has ${frame.length} bytes, ${this.bitrate} bit/s frames have ${this.frameBytes}`);
    }
    this.frames.decode(frame, this.coeffs);
    this.concealer.good({ coeffs: this.coeffs, envelope: this.frames.envelope, combLag: this.frames.lastCombLag, pitchLag: this.frames.lastPitch.lag });
    const raw = this.synth.push(this.coeffs);
    this.concealer.record(raw);
    const y = this.postFilter(raw, true);
    this.preEcho.process(y, this.synth.peekTail(), this.frames.lastNoiseEnergy);
    this.pitch.apply(y, this.frames.lastPitch);
    return y;
  }

  /** HOP samples for a lost frame (packet-loss concealment). */
  conceal(): Float32Array {
    this.concealer.conceal(this.synth.peekTail(), this.coeffs);
    const raw = this.synth.push(this.coeffs);
    this.concealer.record(raw);
    const y = this.postFilter(raw, false);
    this.preEcho.track(y);
    // A lost frame's pitch parameters are unknown: the last ones continue for the first
    // pitchHoldFrames lost frames, then the filter fades out, so that a long burst still ends in
    // exact silence.
    this.pitch.apply(y, this.concealer.lostInBurst <= this.concealer.tuning.pitchHoldFrames ? this.pitch.last : PITCH_OFF);
    return y;
  }

  /**
   * The mode's output-only tools on a typed copy of the synthesis. Concealment extrapolates the
   * unfiltered signal; the post-filter runs on lost frames too, so its state stays continuous.
   */
  private postFilter(raw: Float64Array, good: boolean): Float32Array {
    const y = new Float32Array(raw); // typed copy (Float32Array.from iterates)
    const strength = this.frames.tuning.harmonicStrength;
    const b = this.band;
    if (b === null) {
      if (strength > 0) this.harmonic.apply(y, this.frames.lastCombLag, strength);
      return y;
    }
    // The correction's source: the same coefficients, weighted per bin (nonzero coded bins of a
    // good frame further by the coded weight; a concealed frame has none), through another IMDCT
    // and overlap-add, which is exactly that part of the output (the split is linear: no phase
    // error). The period is refined on the whole output y, or (harmonicCorrOnBand) on the band
    // without the coded weight, which costs a third IMDCT.
    const { weights, coeffs } = b;
    for (let k = 0; k < coeffs.length; k++) coeffs[k] = this.coeffs[k] * weights[k];
    const band = b.corr !== null ? b.corr.push(coeffs) : undefined;
    if (good && b.coded !== 1) {
      const m = this.frames.magnitudes;
      for (let k = 0; k < coeffs.length; k++) if (m[k] > 0) coeffs[k] *= b.coded;
    }
    const needed = this.harmonic.analyse(y, this.frames.lastCombLag, strength, band);
    if (!needed && this.lazySource) {
      // No correction in this frame: keep its coefficients and synthesize them only if a later
      // frame needs this frame's source samples (its history reaches one frame back).
      const older = b.pending[0];
      b.pending[0] = b.pending[1];
      b.pending[1] = older;
      older.set(coeffs);
      b.skipped++;
      this.harmonic.skip();
      return y;
    }
    let previous: Float64Array | undefined;
    if (b.skipped > 0) {
      // Catch up: after two or more skipped frames the synthesis tail is stale, and the frame
      // before the last rebuilds it (its own output is not used); the last one's output is the
      // history the correction reads. Same arithmetic as synthesizing every frame.
      if (b.skipped >= 2) b.source.push(b.pending[0]);
      previous = b.source.push(b.pending[1]);
      b.skipped = 0;
    }
    this.harmonic.correct(y, b.source.push(coeffs), previous);
    return y;
  }

  /** Frames concealed since the last good frame. */
  get lostInBurst(): number {
    return this.concealer.lostInBurst;
  }

  /** The frame decoder (for tests). */
  get frameDecoder(): FrameDecoder {
    return this.frames;
  }
}
