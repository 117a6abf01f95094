/**
 * The frame encoder (DESIGN §1 "Spectrum coding"): envelope search, the gain rate loop
 * (bisection on the ideal code length, confirmed by the real coder), the comb choice, and
 * refinement bits that spend what is left. Layout: docs/bitstream.md.
 */
import type { Bitrate } from './modes.js';
import { portableLog } from '../dsp/portable-math.js';
import { ENVELOPE_FLOOR, type CodecModel } from '../model/model-format.js';
import {
  COMB_BINS,
  COMB_LAG_BITS,
  COMB_LAGS,
  COMB_OFFSETS,
  COST_ROW_LENGTH,
  COST_ROW_PAD,
  COMB_OFFSET_MAX,
  COMB_OFFSET_MIN,
  ESC_LENGTH_BITS,
  MAX_BIN_BITS,
  COST_MAGNITUDES,
  NUM_SCALES,
  ROUNDING_OFFSET,
  SCALE_TABLES,
  encoderCostTables,
  magnitudeBits,
  maxMagnitude,
} from '../model/entropy-model.js';
import { RangeEncoder } from './range-coder.js';
import { RDO_LAMBDA, lambdaRegionsOf, quantizeBin, quantizerThresholds } from './rdo-quantizer.js';
import { TNS_COEF_BITS, TNS_FLAG_BITS_OFF, TNS_FLAG_BITS_ON, TNS_FLAG_P1, TNS_FLAG_TOTAL, TnsAnalyzer, parcorToLpc, tnsAnalysis, tnsConfigOf } from './tns.js';
import { PITCH_FLAG_P1, PITCH_FLAG_TOTAL, PITCH_GAIN_BITS, PITCH_LAG_BITS, PITCH_MIN_LAG, PITCH_OFF, type PitchParams } from './pitch-filter.js';
import {
  CODED_BINS_BITS,
  COMB_MIN_SAVING_BITS,
  ESC,
  type FrameFields,
  FrameShape,
  GAIN_BITS,
  GAIN_LEVELS,
  GAIN_OFFSET,
  GAIN_STEP,
  type SparseRows,
  sparseRows,
  TABLE_TOTAL,
  TRUNC_P1,
  TRUNC_TOTAL,
  weightingOf,
} from './frame-shape.js';

/** Encoder-only settings (issue 12 experiments): they choose among valid streams, never change how one decodes. */
export interface EncoderTuning {
  /** Rounding offset of the dead-zone quantizer m = ⌊|x|/Δ + offset⌋ (DESIGN §1 item 4: 0.3), used when rdoLambda is 0. */
  roundingOffset: number;
  /** Weighting γ and tilt (experiments only: the decoder must be given the same). */
  weightGamma: number;
  weightTilt: number;
  /** The comb goes on when it saves more than this many bits (DESIGN §1 item 3: 9, net of its 8). */
  combMinSavingBits: number;
  /** TNS turns on above this prediction gain (tns.ts TNS_MODES). */
  tnsMinGain: number;
  /** TNS order, first bin and split bin (experiments only: the decoder must be given the same). */
  tnsOrder: number;
  tnsStartBin: number;
  tnsSplitBin: number;
  /**
   * λ of the rate–distortion quantization thresholds (rdo-quantizer.ts), in squared steps per
   * bit (0: the fixed rounding offset instead). Default RDO_LAMBDA.
   */
  rdoLambda: number;
  /** λ × lambdaHighScale from lambdaHighBin, × lambdaTopScale from lambdaTopBin (rdo-quantizer.ts LAMBDA_REGIONS; default the mode's). */
  lambdaHighBin: number;
  lambdaHighScale: number;
  lambdaTopBin: number;
  lambdaTopScale: number;
}

/** Thresholds of the rate–distortion quantizer per scale index, for bins from … to − 1. */
interface ThresholdRegion {
  from: number;
  to: number;
  zero: Float64Array;
  round: Float64Array;
}

function encodeMagnitude(enc: RangeEncoder, j: number, m: number): void {
  const t = SCALE_TABLES[j];
  const L = t.lowBits;
  const chunk = 2 ** L;
  const h = Math.floor(m / chunk);
  const cdf = t.cdf;
  if (h < ESC) {
    enc.encode(cdf[h], cdf[h + 1] - cdf[h], TABLE_TOTAL);
  } else {
    enc.encode(cdf[ESC], cdf[ESC + 1] - cdf[ESC], TABLE_TOTAL);
    const v = h - ESC + 1;
    const n = 31 - Math.clz32(v);
    enc.encodeBits(n, ESC_LENGTH_BITS);
    const rest = v - 2 ** n;
    if (n > 16) {
      enc.encodeBits(Math.floor(rest / 65536), n - 16);
      enc.encodeBits(rest % 65536, 16);
    } else enc.encodeBits(rest, n);
  }
  if (L > 0) enc.encodeBits(m - h * chunk, L);
}

export class FrameEncoder {
  private readonly shape: FrameShape;
  readonly frameBytes: number;
  private readonly indices: Int32Array;
  private readonly resid: Float64Array;
  private readonly x0: Float64Array;
  /** X_k² of the frame (envelope of a dense A). */
  private readonly x2: Float64Array;
  private readonly m: Float64Array;
  private readonly scale: Int32Array;
  /** Scale index per bin for the real coder (tryEncode). */
  private readonly codeScale: Int32Array;
  /** Signed weighted spectrum X_k·w_k (the TNS residual when TNS is on): the signs coded. */
  private readonly u: Float64Array;
  private readonly tnsAnalyzer = new TnsAnalyzer();
  /** Per TNS range: its quantized reflection indices and whether it is on in this frame. */
  private readonly tnsIdx: Int32Array[];
  private readonly tnsOn: boolean[];
  private readonly tnsA: Float64Array;
  private readonly tnsScratch: Float64Array;
  private readonly invGain: Float64Array;
  private readonly sparseA: SparseRows;
  /** The entropy model's ideal-cost tables (built on the first encoder, never by a decoder). */
  private readonly magnitudeCost: Float64Array;
  private readonly costByMagnitude: Float64Array;
  private readonly coder: RangeEncoder;
  private prevCombLag = 0;
  /** Last frame's gain index: where the rate loop's search starts. */
  private prevGain = GAIN_LEVELS >> 1;
  /** Last frame's stage indices: seeds for the (exact) nearest-codeword search. */
  private readonly prevIndices: Int32Array;
  /** Fields of the last encoded frame, kept only when recordFields is set (tests, statistics). */
  last: FrameFields | null = null;
  recordFields = false;
  /** Set false to disable the harmonic comb (for measurements). */
  useComb = true;
  private readonly roundingOffset: number;
  private readonly combMinSaving: number;
  /**
   * Per λ region in bin order, covering every bin: per scale index the 0 → 1 threshold and the
   * rounding offset above 1 (rdo-quantizer.ts). The first, from bin 0, has the plain λ.
   */
  private readonly regions: ThresholdRegion[];
  /** Pitch parameters of the frame being coded. */
  private pitch: PitchParams = PITCH_OFF;

  constructor(model: CodecModel, bitrate: Bitrate, tuning: Partial<EncoderTuning> = {}) {
    // 0.25 measured +0.01 … +0.02 PESQ on train-clean-100 but did not carry over to test-other
    // (docs/quality.md), so DESIGN §1's 0.3 stays; the setting remains for experiments.
    const ro = tuning.roundingOffset ?? ROUNDING_OFFSET;
    if (!(ro >= 0 && ro < 1)) throw new RangeError(`encoder roundingOffset must be in [0, 1), got ${ro}`);
    this.roundingOffset = ro;
    const cs = tuning.combMinSavingBits ?? COMB_MIN_SAVING_BITS;
    if (!Number.isFinite(cs)) throw new RangeError(`encoder combMinSavingBits must be finite, got ${cs}`);
    this.combMinSaving = cs;
    const lambda = tuning.rdoLambda ?? RDO_LAMBDA;
    const lr = lambdaRegionsOf(
      bitrate,
      { highBin: tuning.lambdaHighBin, highScale: tuning.lambdaHighScale, topBin: tuning.lambdaTopBin, topScale: tuning.lambdaTopScale },
      COMB_BINS,
      model.bins,
    );
    // Below highBin, from highBin to topBin, from topBin to the end (an empty region is left out).
    const region = (from: number, to: number, scale: number): ThresholdRegion => {
      const t = quantizerThresholds(lambda * scale, ro);
      return { from, to, zero: t.zero, round: t.round };
    };
    this.regions = [region(0, lr.highBin, 1)];
    if (lr.highBin < lr.topBin) this.regions.push(region(lr.highBin, lr.topBin, lr.highScale));
    if (lr.topBin < model.bins) this.regions.push(region(lr.topBin, model.bins, lr.topScale));
    this.shape = new FrameShape(model, bitrate, weightingOf(tuning), tnsConfigOf(bitrate, tuning));
    this.frameBytes = this.shape.frameBytes;
    this.indices = new Int32Array(this.shape.stages);
    this.prevIndices = new Int32Array(this.shape.stages).fill(-1);
    this.resid = new Float64Array(model.bands);
    this.x0 = new Float64Array(model.bins);
    this.x2 = new Float64Array(model.bins);
    this.m = new Float64Array(model.bins);
    this.scale = new Int32Array(model.bins);
    this.codeScale = new Int32Array(model.bins);
    this.u = new Float64Array(model.bins);
    this.tnsIdx = this.shape.tnsRanges.map(() => new Int32Array(this.shape.tns.order));
    this.tnsOn = this.shape.tnsRanges.map(() => false);
    this.tnsA = new Float64Array(this.shape.tns.order + 1);
    this.tnsScratch = new Float64Array(this.shape.tns.order + 1);
    // Worst case: every bin at MAX_BIN_BITS plus the fixed fields, far above any budget.
    this.coder = new RangeEncoder(Math.ceil((model.bins * MAX_BIN_BITS) / 8) + 64);
    this.sparseA = sparseRows(model.analysis, model.bands, model.bins);
    const costs = encoderCostTables();
    this.magnitudeCost = costs.magnitudeCost;
    this.costByMagnitude = costs.costByMagnitude;
    this.invGain = new Float64Array(GAIN_LEVELS);
    for (let i = 0; i < GAIN_LEVELS; i++) this.invGain[i] = GAIN_STEP ** -(i - GAIN_OFFSET);
  }

  /**
   * Encode one frame of MDCT coefficients into exactly frameBytes bytes, with the pitch
   * post-filter parameters of the segment it outputs. Values must be finite (the streaming
   * Encoder sanitises its input).
   */
  encode(X: ArrayLike<number>, pitch: PitchParams = PITCH_OFF): Uint8Array {
    const sh = this.shape;
    this.pitch = pitch;
    const { bins, bands } = sh;
    // Envelope and sequential MSVQ search (DESIGN §2: stage t quantizes what stages < t leave).
    // e = log(A·X² + ε) (envelopeOf) over A's nonzero entries only: same sums, same order. A
    // trained A = exp(α) has no zeros: then plain rows against X² squared once per bin.
    const { rowStart, cols, vals } = this.sparseA;
    if (vals.length === bands * bins) {
      const x2 = this.x2;
      for (let k = 0; k < bins; k++) x2[k] = X[k] * X[k];
      // Four bands per pass: four independent chains of additions, each in bin order.
      let d = 0;
      for (; d + 4 <= bands; d += 4) {
        const o0 = d * bins;
        const o1 = o0 + bins;
        const o2 = o1 + bins;
        const o3 = o2 + bins;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        for (let k = 0; k < bins; k++) {
          const p = x2[k];
          a0 += vals[o0 + k] * p;
          a1 += vals[o1 + k] * p;
          a2 += vals[o2 + k] * p;
          a3 += vals[o3 + k] * p;
        }
        this.resid[d] = portableLog(a0 + ENVELOPE_FLOOR);
        this.resid[d + 1] = portableLog(a1 + ENVELOPE_FLOOR);
        this.resid[d + 2] = portableLog(a2 + ENVELOPE_FLOOR);
        this.resid[d + 3] = portableLog(a3 + ENVELOPE_FLOOR);
      }
      for (let o = d * bins; d < bands; d++, o += bins) {
        let acc = 0;
        for (let k = 0; k < bins; k++) acc += vals[o + k] * x2[k];
        this.resid[d] = portableLog(acc + ENVELOPE_FLOOR);
      }
    } else {
      for (let d = 0; d < bands; d++) {
        let acc = 0;
        for (let q = rowStart[d]; q < rowStart[d + 1]; q++) {
          const x = X[cols[q]];
          acc += vals[q] * (x * x);
        }
        this.resid[d] = portableLog(acc + ENVELOPE_FLOOR);
      }
    }
    const searchers = sh.searchers;
    for (let t = 0; t < sh.stages; t++) {
      const cb = sh.model.codebooks[t];
      const c = searchers[t].nearest(this.resid, this.prevIndices[t]);
      this.prevIndices[t] = c;
      this.indices[t] = c;
      for (let d = 0; d < bands; d++) this.resid[d] -= cb[c * bands + d];
    }
    sh.derive(this.indices);
    const u = this.u;
    for (let k = 0; k < bins; k++) u[k] = X[k] * sh.w[k];
    // Temporal noise shaping (tns.ts): in each range, code the residual of a prediction across
    // frequency where it predicts well. The ranges are disjoint, so the order does not matter.
    const tns = sh.tns;
    let tnsBits = 0;
    sh.tnsRanges.forEach(([from, to], r) => {
      const on = this.tnsAnalyzer.choose(u, tns.order, from, to, this.tnsIdx[r]) > tns.minGain;
      this.tnsOn[r] = on;
      tnsBits += on ? TNS_FLAG_BITS_ON + tns.order * TNS_COEF_BITS : TNS_FLAG_BITS_OFF;
      if (!on) return;
      parcorToLpc(this.tnsIdx[r], tns.order, this.tnsA, this.tnsScratch);
      tnsAnalysis(u, this.tnsA, tns.order, from, to);
    });
    for (let k = 0; k < bins; k++) this.x0[k] = Math.abs(u[k]) / sh.gRef;

    const pitchBits = 1 + (pitch.lag > 0 ? PITCH_LAG_BITS + PITCH_GAIN_BITS : 0);
    const fixed = sh.stages * sh.model.stageBits + GAIN_BITS + pitchBits + tnsBits + 1 + 0.05;
    let combLag = -1;
    let gain = this.bisectGain(-1, sh.budgetBits - fixed - 1);
    if (this.useComb) {
      const found = this.bestComb(gain);
      if (found.saving > this.combMinSaving) {
        combLag = found.lag;
        gain = this.bisectGain(combLag, sh.budgetBits - fixed - COMB_LAG_BITS - 1);
      }
    }
    // Confirm with the real coder; step the gain up until it fits, else truncate.
    for (; gain < GAIN_LEVELS; gain++) {
      const bytes = this.tryEncode(gain, combLag, bins);
      if (bytes) {
        this.prevGain = gain;
        return bytes;
      }
    }
    gain = GAIN_LEVELS - 1;
    this.prevGain = gain;
    let lo = 0;
    let hi = bins - 1; // largest count known (or assumed) to fit is lo
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tryEncode(gain, combLag, mid, true, true)) lo = mid;
      else hi = mid - 1;
    }
    const bytes = this.tryEncode(gain, combLag, lo, true);
    if (!bytes) throw new Error('FrameEncoder: truncated frame does not fit (bug)');
    return bytes;
  }

  /** Magnitudes m_k of bins 0 … count − 1 at this gain, with the bins' scale indices `scale`. */
  private quantize(gain: number, scale: Int32Array, count: number): void {
    const g = this.invGain[gain];
    const { x0, m } = this;
    for (const { from, to, zero: zt, round: ru } of this.regions) {
      const end = Math.min(count, to);
      for (let k = from; k < end; k++) {
        const j = scale[k];
        m[k] = quantizeBin(x0[k] * g, zt[j], ru[j]);
      }
    }
  }

  /**
   * Whether the estimated spectrum bits at this gain fit `target`. The sum stops as soon as it
   * exceeds the target: partial sums of non-negative costs never decrease (IEEE addition is
   * monotone), so the answer is that of the full sum, in the same order.
   */
  private fitsEstimate(gain: number, combLag: number, target: number): boolean {
    const base = this.shape.baseScale;
    const g = this.invGain[gain];
    const { x0 } = this;
    const comb = combLag >= 0 ? COMB_OFFSETS[combLag] : null;
    const cost = this.magnitudeCost;
    const regions = this.regions;
    // The comb's bins all lie in the first λ region (lambdaRegionsOf starts the others above them).
    const { zero: zt, round: ru } = regions[0];
    let bits = 0;
    // Bins below COMB_BINS (with the comb offsets when on), then the rest: one loop each.
    let k = 0;
    if (comb !== null) {
      for (; k < COMB_BINS; k++) {
        let j = base[k] - gain + comb[k];
        j = j < 0 ? 0 : j >= NUM_SCALES ? NUM_SCALES - 1 : j;
        const mk = quantizeBin(x0[k] * g, zt[j], ru[j]);
        bits += mk < COST_MAGNITUDES ? cost[j * COST_MAGNITUDES + mk] : magnitudeBits(j, Math.min(mk, maxMagnitude(j)));
        if (bits > target) return false;
      }
    }
    // Then region by region from where that left off, each bin in order.
    for (const { to, zero: zr, round: rr } of regions) {
      for (; k < to; k++) {
        let j = base[k] - gain;
        j = j < 0 ? 0 : j >= NUM_SCALES ? NUM_SCALES - 1 : j;
        const mk = quantizeBin(x0[k] * g, zr[j], rr[j]);
        bits += mk < COST_MAGNITUDES ? cost[j * COST_MAGNITUDES + mk] : magnitudeBits(j, Math.min(mk, maxMagnitude(j)));
        if (bits > target) return false;
      }
    }
    return true;
  }

  /**
   * Smallest gain index (finest step) whose estimated spectrum bits fit `target`. The search starts
   * at the previous frame's index, since the gain moves little from frame to frame: it gallops
   * outward until the answer is bracketed, then bisects (3–5 estimates in a typical frame, against
   * 7 for a plain bisection; the same answer wherever the estimate falls monotonically with the
   * index).
   */
  private bisectGain(combLag: number, target: number): number {
    const top = GAIN_LEVELS - 1;
    const start = this.prevGain;
    // lo: an index known not to fit (or −1); hi: one known to fit (or top, which is taken anyway).
    let lo: number;
    let hi: number;
    if (this.fitsEstimate(start, combLag, target)) {
      hi = start;
      lo = start - 1;
      for (let step = 1; lo >= 0 && this.fitsEstimate(lo, combLag, target); step *= 2) {
        hi = lo;
        lo = hi - 2 * step;
      }
      if (lo < -1) lo = -1;
    } else {
      lo = start;
      hi = start + 1;
      for (let step = 1; hi < top && !this.fitsEstimate(hi, combLag, target); step *= 2) {
        lo = hi;
        hi = Math.min(top, lo + 2 * step);
      }
      if (hi > top) hi = top;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.fitsEstimate(mid, combLag, target)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /**
   * Comb lag that minimises the estimated bits of bins < 5 kHz at this gain, and its saving.
   * An encoder decision only (the real coder confirms it), so magnitudes ≥ 64 are costed as 63.
   */
  private bestComb(gain: number): { lag: number; saving: number } {
    const sh = this.shape;
    this.quantize(gain, sh.scaleIndices(gain, -1, this.codeScale, COMB_BINS), COMB_BINS);
    const { m } = this;
    const rows = this.scale;
    const lo = -COST_ROW_PAD - COMB_OFFSET_MIN;
    const hi = NUM_SCALES + COST_ROW_PAD - 1 - COMB_OFFSET_MAX;
    let off = 0;
    for (let k = 0; k < COMB_BINS; k++) {
      let j = sh.baseScale[k] - gain;
      j = j < lo ? lo : j > hi ? hi : j; // costs are constant beyond the table's ends
      const mk = m[k] < COST_MAGNITUDES ? m[k] : COST_MAGNITUDES - 1;
      rows[k] = mk * COST_ROW_LENGTH + COST_ROW_PAD + j;
      off += this.costByMagnitude[rows[k]];
    }
    // The comb can save at most what the band below 5 kHz costs.
    if (off <= this.combMinSaving) return { lag: 0, saving: 0 };
    // Start from the previous frame's lag (pitch moves slowly), so that the early exit below
    // cuts most other lags short; ties go to the lower lag index. Two lags are summed at once
    // (two independent chains of additions, each in bin order), and a pair is abandoned once
    // both exceed the best (checked every 4 bins): an abandoned lag is worse than the best, as
    // partial sums of costs ≥ 0 never decrease, and the others are full sums taken in the
    // visiting order, so the result is that of one lag at a time (measured ~1.15× faster).
    // Only a lag that saves more than combMinSaving can be chosen, so the search starts from that
    // bound instead of from infinity: a lag is abandoned as soon as it cannot beat it, and the
    // lag chosen (when one is) and the decision are the same as a search from infinity.
    let best = off - this.combMinSaving;
    let lag = -1;
    const first = this.prevCombLag;
    const COST = this.costByMagnitude;
    for (let n = 0; n < COMB_LAGS; n += 2) {
      const L1 = n === 0 ? first : n <= first ? n - 1 : n;
      const L2 = n + 1 <= first ? n : n + 1;
      const p = COMB_OFFSETS[L1];
      const q = COMB_OFFSETS[L2];
      let a = 0;
      let b = 0;
      for (let k = 0; k < COMB_BINS; k += 4) {
        const r0 = rows[k];
        const r1 = rows[k + 1];
        const r2 = rows[k + 2];
        const r3 = rows[k + 3];
        a += COST[r0 + p[k]];
        b += COST[r0 + q[k]];
        a += COST[r1 + p[k + 1]];
        b += COST[r1 + q[k + 1]];
        a += COST[r2 + p[k + 2]];
        b += COST[r2 + q[k + 2]];
        a += COST[r3 + p[k + 3]];
        b += COST[r3 + q[k + 3]];
        if (a > best && b > best) break;
      }
      if (a < best || (a === best && L1 < lag)) {
        best = a;
        lag = L1;
      }
      if (b < best || (b === best && L2 < lag)) {
        best = b;
        lag = L2;
      }
    }
    if (lag < 0) return { lag: 0, saving: 0 };
    this.prevCombLag = lag;
    return { lag, saving: off - best };
  }

  /**
   * Code the frame with these choices. Returns the frame bytes, or null when it does not fit.
   * `probeOnly` skips refinement and returns a non-null marker without building the output.
   */
  private tryEncode(gain: number, combLag: number, codedBins: number, truncated = false, probeOnly = false): Uint8Array | null {
    const sh = this.shape;
    const budget = sh.budgetBits;
    const scale = sh.scaleIndices(gain, combLag, this.codeScale);
    this.quantize(gain, scale, codedBins);
    const { m, x0 } = this;
    const enc = this.coder;
    enc.reset();
    for (let t = 0; t < sh.stages; t++) enc.encodeBits(this.indices[t], sh.model.stageBits);
    enc.encodeBits(gain, GAIN_BITS);
    enc.encodeBit(combLag >= 0 ? 1 : 0, 1, 2);
    if (combLag >= 0) enc.encodeBits(combLag, COMB_LAG_BITS);
    const pitch = this.pitch;
    enc.encodeBit(pitch.lag > 0 ? 1 : 0, PITCH_FLAG_P1, PITCH_FLAG_TOTAL);
    if (pitch.lag > 0) {
      enc.encodeBits(pitch.lag - PITCH_MIN_LAG, PITCH_LAG_BITS);
      enc.encodeBits(pitch.gainIndex, PITCH_GAIN_BITS);
    }
    const order = sh.tns.order;
    for (let r = 0; r < sh.tnsRanges.length; r++) {
      enc.encodeBit(this.tnsOn[r] ? 1 : 0, TNS_FLAG_P1, TNS_FLAG_TOTAL);
      if (this.tnsOn[r]) for (let i = 0; i < order; i++) enc.encodeBits(this.tnsIdx[r][i], TNS_COEF_BITS);
    }
    enc.encodeBit(truncated ? 1 : 0, TRUNC_P1, TRUNC_TOTAL);
    if (truncated) enc.encodeBits(codedBins, CODED_BINS_BITS);
    for (let k = 0; k < codedBins; k++) {
      const j = scale[k];
      let mk = m[k];
      const cap = maxMagnitude(j);
      if (mk > cap) m[k] = mk = cap;
      encodeMagnitude(enc, j, mk);
      if (mk > 0) enc.encodeBits(this.signOf(k), 1);
      if (enc.tellBits() > budget) return null;
    }
    if (probeOnly) return new Uint8Array(0);
    // Spend what is left: one refinement bit per nonzero bin (upper or lower half of its cell).
    const g = this.invGain[gain];
    let refinements = 0;
    for (let k = 0; k < codedBins && enc.tellBits() + 1 <= budget; k++) {
      if (m[k] === 0) continue;
      enc.encodeBits(x0[k] * g >= m[k] + (0.5 - this.roundingOffset) ? 1 : 0, 1);
      refinements++;
    }
    const body = enc.finish();
    if (body.length > sh.frameBytes) throw new Error(`FrameEncoder: ${body.length} bytes > ${sh.frameBytes} (bug)`);
    const out = new Uint8Array(sh.frameBytes);
    out.set(body);
    if (this.recordFields) {
      const q = new Int32Array(sh.bins);
      for (let k = 0; k < codedBins; k++) q[k] = this.signOf(k) ? -m[k] : m[k];
      this.last = { indices: this.indices.slice(), gainIndex: gain, combLag, pitch, codedBins, q, refinements, tns: this.tnsIdx.map((idx, r) => (this.tnsOn[r] ? idx.slice() : null)) };
    }
    return out;
  }

  /** 1 for a negative coefficient (x0 holds magnitudes only). */
  private signOf(k: number): number {
    return this.u[k] < 0 ? 1 : 0;
  }
}
