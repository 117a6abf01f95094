/**
 * The frame decoder: reads one frame (docs/bitstream.md), reconstructs the MDCT coefficients
 * X̂_k = ±(m + offset)·Δ_k, noise-fills zero bins from bin 20 up and, in frames with TNS, runs the
 * inverse filter (tns.ts). It survives any byte string: every count read from the stream is
 * bounded, and every TNS filter the table can express is stable (|κ| ≤ 0.985).
 */
import { TNS_COEF_BITS, TNS_FLAG_P1, TNS_FLAG_TOTAL, parcorToLpc, tnsConfigOf, tnsPredictionGain, tnsSynthesis } from './tns.js';
import type { Bitrate } from './modes.js';
import type { CodecModel } from '../model/model-format.js';
import {
  COMB_BINS,
  COMB_LAG_BITS,
  COMB_OFFSETS,
  ESC_LENGTH_BITS,
  ESC_MAX_BITS,
  NUM_SCALES,
  SCALE_TABLES,
  TABLE_TOTAL_BITS,
} from '../model/entropy-model.js';
import { RangeDecoder } from './range-coder.js';
import { PITCH_FLAG_P1, PITCH_FLAG_TOTAL, PITCH_GAIN_BITS, PITCH_GAINS, PITCH_LAG_BITS, PITCH_MAX_LAG, PITCH_MIN_LAG, PITCH_OFF, type PitchParams } from './pitch-filter.js';
import { FormantPostFilter, tuningFor, type DecoderTuning } from './post-filter.js';
import {
  CODED_BINS_BITS,
  DEAD_ZONE_RMS,
  ESC,
  type FrameFields,
  FrameShape,
  GAIN_BITS,
  NOISE_FILL_START,
  RECON_HIGH,
  RECON_LOW,
  RECON_PLAIN,
  TRUNC_P1,
  TRUNC_TOTAL,
  weightingOf,
} from './frame-shape.js';

function decodeMagnitude(dec: RangeDecoder, j: number): number {
  const t = SCALE_TABLES[j];
  const L = t.lowBits;
  let h = dec.decodeSymbolPow2(t.cdf, ESC + 1, TABLE_TOTAL_BITS); // cdf total is 2^15 (checked at load)
  if (h === ESC) {
    let n = dec.decodeBits(ESC_LENGTH_BITS);
    if (n > ESC_MAX_BITS) n = ESC_MAX_BITS; // only corrupt data gets here; stay bounded
    let rest: number;
    if (n > 16) {
      const hi = dec.decodeBits(n - 16);
      rest = hi * 65536 + dec.decodeBits(16);
    } else rest = dec.decodeBits(n);
    h = ESC - 1 + 2 ** n + rest;
  }
  return L > 0 ? h * 2 ** L + dec.decodeBits(L) : h;
}

/** Small deterministic PRNG (xorshift32) for noise-fill signs. */
export class SignNoise {
  private state: number;
  constructor(seed = 0x9e3779b9) {
    this.state = seed >>> 0 || 1;
  }
  nextBit(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x >>> 31;
  }
}

export class FrameDecoder {
  private readonly shape: FrameShape;
  readonly frameBytes: number;
  private readonly indices: Int32Array;
  private readonly m: Float64Array;
  private readonly neg: Uint8Array;
  private readonly recon: Float64Array;
  /** Per bin, the tuning's shift of every reconstruction point (reconShift, plus reconShiftHigh from reconHighBin up). */
  private readonly reconShift: Float64Array;
  /** Per bin, the tuning's noise-fill level (fillLevel, × fillLowScale below fillLowBin, × fillTopScale from fillTopBin up). */
  private readonly fillLevel: Float64Array;
  /** Per TNS range: its reflection indices and whether the frame has it on. */
  private readonly tnsIdx: Int32Array[];
  private readonly tnsOn: boolean[];
  /** Per TNS range: the noise fill's scale 1/√(prediction gain) in this frame (1 where off). */
  private readonly tnsFill: Float64Array;
  private readonly tnsA: Float64Array;
  private readonly tnsScratch: Float64Array;
  private readonly scale: Int32Array;
  private readonly noise: SignNoise;
  /** Output-only decoder tools (post-filter.ts); they never change a decoded symbol. */
  readonly tuning: DecoderTuning;
  private readonly formant: FormantPostFilter;
  /** Fields of the last decoded frame (for tests). */
  last: FrameFields | null = null;
  /** Keep `last` up to date (costs an allocation per frame). */
  recordFields = false;
  /**
   * Expected energy Σσ² of the last decoded frame's coefficient error (pre-echo.ts): Δ²/12 per
   * nonzero bin, and per noise-filled bin the energy a zeroed Laplacian held plus the fill's own
   * (before the TNS synthesis, which is left out).
   */
  lastNoiseEnergy = 0;
  /** Budget bits the last decoded frame left unused (what the refinement loop could not spend). */
  lastUnusedBits = 0;
  /** Comb lag index of the last decoded frame, or −1 (the harmonic post-filter's and packet-loss concealment's pitch). */
  lastCombLag = -1;
  /** Pitch post-filter parameters of the last decoded frame. */
  lastPitch: PitchParams = PITCH_OFF;

  constructor(model: CodecModel, bitrate: Bitrate, tuning: Partial<DecoderTuning> = {}) {
    this.tuning = tuningFor(bitrate, tuning);
    this.shape = new FrameShape(model, bitrate, weightingOf(this.tuning), tnsConfigOf(bitrate, this.tuning));
    this.frameBytes = this.shape.frameBytes;
    this.formant = new FormantPostFilter(model.bins);
    this.indices = new Int32Array(this.shape.stages);
    this.m = new Float64Array(model.bins);
    this.neg = new Uint8Array(model.bins);
    this.recon = new Float64Array(model.bins);
    const t = this.tuning;
    this.reconShift = Float64Array.from({ length: model.bins }, (_, k) => t.reconShift + (k >= t.reconHighBin ? t.reconShiftHigh : 0));
    const fillBelow = t.fillLevel * t.fillLowScale;
    const fillAbove = t.fillLevel * t.fillTopScale;
    this.fillLevel = Float64Array.from({ length: model.bins }, (_, k) => (k < t.fillLowBin ? fillBelow : k < t.fillTopBin ? t.fillLevel : fillAbove));
    this.scale = new Int32Array(model.bins);
    this.noise = new SignNoise();
    const order = this.shape.tns.order;
    this.tnsIdx = this.shape.tnsRanges.map(() => new Int32Array(order));
    this.tnsOn = this.shape.tnsRanges.map(() => false);
    this.tnsFill = new Float64Array(this.shape.tnsRanges.length);
    this.tnsA = new Float64Array(order + 1);
    this.tnsScratch = new Float64Array(order + 1);
  }

  /** Quantized magnitudes |q_k| of the last decoded frame (0 = noise-filled or uncoded; a view: do not write). */
  get magnitudes(): Float64Array {
    return this.m;
  }

  /** Range-coder scale index per bin of the last decoded frame (a view: do not write; for statistics). */
  get scaleIndices(): Int32Array {
    return this.scale;
  }

  /** Envelope s = B·exp(ê) of the last decoded frame (a view: do not write). */
  get envelope(): Float64Array {
    return this.shape.s;
  }

  /**
   * Decode one frame (any bytes decode to something: there is no invalid frame) into MDCT
   * coefficients `out` (length bins).
   */
  decode(frame: Uint8Array, out: Float64Array): Float64Array {
    const sh = this.shape;
    const { bins } = sh;
    const budget = sh.budgetBits;
    const dec = new RangeDecoder(frame, 0, Math.min(frame.length, sh.frameBytes));
    for (let t = 0; t < sh.stages; t++) this.indices[t] = dec.decodeBits(sh.model.stageBits);
    const gain = dec.decodeBits(GAIN_BITS);
    const combLag = dec.decodeBit(1, 2) ? dec.decodeBits(COMB_LAG_BITS) : -1;
    this.lastCombLag = combLag;
    let pitch = PITCH_OFF;
    if (dec.decodeBit(PITCH_FLAG_P1, PITCH_FLAG_TOTAL)) {
      // 9 bits hold 0 … 511; beyond the largest lag is only corrupt data: clamp it.
      const lag = Math.min(PITCH_MIN_LAG + dec.decodeBits(PITCH_LAG_BITS), PITCH_MAX_LAG);
      pitch = { lag, gainIndex: Math.min(dec.decodeBits(PITCH_GAIN_BITS), PITCH_GAINS.length - 1) };
    }
    this.lastPitch = pitch;
    const tns = sh.tns;
    const ranges = sh.tnsRanges;
    for (let r = 0; r < ranges.length; r++) {
      this.tnsOn[r] = dec.decodeBit(TNS_FLAG_P1, TNS_FLAG_TOTAL) === 1;
      if (this.tnsOn[r]) for (let i = 0; i < tns.order; i++) this.tnsIdx[r][i] = dec.decodeBits(TNS_COEF_BITS);
    }
    let codedBins = bins;
    if (dec.decodeBit(TRUNC_P1, TRUNC_TOTAL)) codedBins = Math.min(bins, dec.decodeBits(CODED_BINS_BITS));
    sh.derive(this.indices);
    const { m, neg, recon, reconShift } = this;
    const tune = this.tuning;
    m.fill(0);
    neg.fill(0);
    for (let k = 0; k < bins; k++) recon[k] = RECON_PLAIN + reconShift[k];
    const scale = sh.scaleIndices(gain, combLag, this.scale);
    for (let k = 0; k < codedBins; k++) {
      const mk = decodeMagnitude(dec, scale[k]);
      m[k] = mk;
      if (mk > 0) neg[k] = dec.decodeBits(1);
    }
    let refinements = 0;
    for (let k = 0; k < codedBins && dec.tellBits() + 1 <= budget; k++) {
      if (m[k] === 0) continue;
      recon[k] = (dec.decodeBits(1) ? RECON_HIGH : RECON_LOW) + reconShift[k];
      refinements++;
    }
    this.lastUnusedBits = budget - dec.tellBits();
    const g = sh.globalGain(gain);
    const w = sh.w;
    // Noise fill of a zero bin uses the coder's scale index WITHOUT the learned θ offset, i.e.
    // b = √(s/2)/Δ as the fill level 0.4 × in-dead-zone RMS was tuned (DESIGN §1 item 2). θ was
    // trained for code length, not for the fill level: filling at the θ-scaled level (mostly
    // θ < 0, a lighter fill) measured +0.05 dB pSNR but −0.0007 STOI at 9.6k on test-other with
    // model d64b02d87ea412b3; this level gained in both at every rate (issue-5 note).
    const base = sh.baseScale;
    const theta = sh.thetaSteps;
    const comb = combLag >= 0 ? COMB_OFFSETS[combLag] : null;
    const noise = this.noise;
    // With TNS the bins hold a prediction residual, whose power is the spectrum's / the gain.
    const tnsFill = this.tnsFill;
    for (let r = 0; r < ranges.length; r++) tnsFill[r] = this.tnsOn[r] ? 1 / Math.sqrt(tnsPredictionGain(this.tnsIdx[r], tns.order)) : 1;
    let range = 0; // the TNS range of bin k, advanced as k passes each range's end
    const fill = this.fillLevel;
    let noiseEnergy = 0;
    for (let k = 0; k < bins; k++) {
      const delta = g / w[k];
      const mk = m[k];
      if (mk > 0) {
        const v = (mk + recon[k]) * delta;
        out[k] = neg[k] ? -v : v;
        noiseEnergy += (delta * delta) / 12;
      } else if (k >= NOISE_FILL_START) {
        let j = base[k] - theta[k] - gain;
        if (comb !== null && k < COMB_BINS) j += comb[k];
        j = j < 0 ? 0 : j >= NUM_SCALES ? NUM_SCALES - 1 : j;
        const held = DEAD_ZONE_RMS[j] * delta;
        while (range < ranges.length && k >= ranges[range][1]) range++;
        const inRange = range < ranges.length && k >= ranges[range][0];
        const v = fill[k] * (inRange ? tnsFill[range] : 1) * held;
        out[k] = noise.nextBit() ? -v : v;
        noiseEnergy += held * held + v * v;
      } else {
        out[k] = 0;
      }
    }
    this.lastNoiseEnergy = noiseEnergy;
    for (let r = 0; r < ranges.length; r++) {
      if (!this.tnsOn[r]) continue;
      // Undo the encoder's filter in the weighted domain it ran in (X_k·w_k).
      const [from, to] = ranges[r];
      for (let k = from; k < to; k++) out[k] *= w[k];
      parcorToLpc(this.tnsIdx[r], tns.order, this.tnsA, this.tnsScratch);
      tnsSynthesis(out, this.tnsA, tns.order, from, to);
      for (let k = from; k < to; k++) out[k] /= w[k];
    }
    if (tune.formantBeta !== 0) this.formant.apply(sh.s, out, tune.formantBeta, tune.formantSmoothBins);
    if (this.recordFields) {
      const q = new Int32Array(bins);
      for (let k = 0; k < bins; k++) q[k] = neg[k] ? -m[k] : m[k];
      this.last = { indices: this.indices.slice(), gainIndex: gain, combLag, pitch, codedBins, q, refinements, tns: this.tnsIdx.map((idx, r) => (this.tnsOn[r] ? idx.slice() : null)) };
    }
    return out;
  }
}
