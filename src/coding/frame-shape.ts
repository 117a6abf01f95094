/**
 * What the frame encoder and decoder share (DESIGN §1; layout and determinism audit in
 * docs/bitstream.md): the frame's constants, the engine-independent scale-step rounding, and
 * FrameShape, which derives ê, s, the weights w and every scale index from the stage indices.
 */
import { TNS_MODES, tnsRanges, type TnsConfig } from './tns.js';
import type { Bitrate } from './modes.js';
import { frameBits, frameBytes } from './modes.js';
import { portableExp } from '../dsp/portable-math.js';
import type { CodecModel } from '../model/model-format.js';
import {
  COMB_BINS,
  COMB_LAG_BITS,
  COMB_LAGS,
  COMB_OFFSETS,
  NUM_SCALES,
  SCALE_ORIGIN,
  SCALE_TABLES,
  STEPS_PER_OCTAVE,
  TABLE_SYMBOLS,
  TABLE_TOTAL_BITS,
  scaleIndexOffsets,
} from '../model/entropy-model.js';
import { DEFAULT_WEIGHTING, perceptualWeights, type WeightingParams } from '../model/perceptual.js';
import { NearestSearcher } from '../model/msvq-search.js';
import { shippedSearchAxes } from '../model/search-axes.js';
import { UserError } from '../errors.js';
import type { PitchParams } from './pitch-filter.js';

export const GAIN_BITS = 7;
export const GAIN_LEVELS = 1 << GAIN_BITS;
/** Gain index of g = exp(mean ê/2); the 128 levels span −18.8 … +29.0 dB around it (set from
 * the gain indices measured on test-other: 32k frames sit near 35–65, 8k frames near 80–100). */
export const GAIN_OFFSET = 50;
/** Gain step ρ = 2^(1/16) ≈ 0.376 dB, equal to the scale-index step. */
export const GAIN_STEP = 2 ** (1 / STEPS_PER_OCTAVE);
/** Harmonic comb is used only when it saves more than this many bits (DESIGN §1 item 3). */
export const COMB_MIN_SAVING_BITS = 9;
export const NOISE_FILL_START = 20;
export const NOISE_FILL_LEVEL = 0.4;
/** Truncation flag probability 1/64: costs 0.023 bits in the normal case. */
export const TRUNC_P1 = 1;
export const TRUNC_TOTAL = 64;
export const CODED_BINS_BITS = 9;
/** Reconstruction points within a cell [m − 0.3, m + 0.7) (u units). */
export const RECON_PLAIN = 0;
// Refinement splits a cell [m − r, m + 1 − r) at its middle m + 0.5 − r (r: rounding offset, 0.3).
export const RECON_LOW = -0.05;
export const RECON_HIGH = 0.45;

export const TABLE_TOTAL = 1 << TABLE_TOTAL_BITS;
if (COMB_BINS % 4 !== 0 || COMB_LAGS % 2 !== 0) throw new Error('bestComb sums two lags at a time over the comb band, 4 bins per check');
export const ESC = TABLE_SYMBOLS;
/** deadZoneRms per scale index, flat (decoder noise filling). */
export const DEAD_ZONE_RMS = Float64Array.from(SCALE_TABLES, (t) => t.deadZoneRms);

const searcherCache = new WeakMap<Float32Array, NearestSearcher>();
export function searcherFor(codebook: Float32Array, k: number, dim: number, axes?: Float64Array): NearestSearcher {
  let s = searcherCache.get(codebook);
  if (!s) {
    s = new NearestSearcher(codebook, k, dim, axes);
    searcherCache.set(codebook, s);
  }
  return s;
}

// round(8·log2 y) from the IEEE-754 bits of y: 8·(exponent) plus the number of thresholds
// 2^((i + ½)/8), i = 0..7, that the mantissa reaches. The thresholds are decimal literals with 17
// significant digits, which every engine parses to the same double, and the comparison is on
// integer bit fields, so the scale index cannot depend on an engine's Math.log2 (DESIGN §1
// "Determinism"). Matches Math.round(8·log2 y) except within an ulp of a threshold.
const HALF_STEP_THRESHOLDS = [
  1.0442737824274138, 1.1387886347566916, 1.241857812073484, 1.3542555469368927, 1.4768261459394993,
  1.6104903319492543, 1.7562521603732995, 1.9152065613971474,
];
const bitsF64 = new Float64Array(1);
const bitsU32 = new Uint32Array(bitsF64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word at 1
const LO = 1 - HI;
const THRESH_HI = new Uint32Array(8);
const THRESH_LO = new Uint32Array(8);
HALF_STEP_THRESHOLDS.forEach((t, i) => {
  bitsF64[0] = t;
  THRESH_HI[i] = bitsU32[HI] & 0xfffff;
  THRESH_LO[i] = bitsU32[LO];
});
if (STEPS_PER_OCTAVE !== 16) throw new Error('scaleStepsOfSquare assumes 16 scale steps per octave (8 per octave of power)');
/** Largest |round(8·log2 y)| kept (the scale index is clamped to the tables anyway). */
const SCALE_STEPS_LIMIT = 4096;
// The thresholds are ≥ 0.09 apart, so each 1/256 of the mantissa range (its top 8 bits) holds
// at most one: PREFIX_BELOW[p] counts the thresholds under prefix p, PREFIX_THRESH[p] is the one
// inside it (or −1), so one comparison replaces the scan over all eight.
const PREFIX_BELOW = new Uint8Array(256);
const PREFIX_THRESH = new Int8Array(256).fill(-1);
for (let p = 0; p < 256; p++) {
  for (let i = 0; i < 8; i++) {
    const tp = THRESH_HI[i] >>> 12;
    if (tp < p) PREFIX_BELOW[p]++;
    else if (tp === p) {
      if (PREFIX_THRESH[p] >= 0) throw new Error('scaleStepsOfSquare: two thresholds share a mantissa prefix');
      PREFIX_THRESH[p] = i;
    }
  }
}

/** round(8·log2 y) for y > 0, clamped to ±4096; 0 for y ≤ 0 or not finite (as before). */
export function scaleStepsOfSquare(y: number): number {
  bitsF64[0] = y;
  return scaleStepsOfBits(bitsU32[HI], bitsU32[LO], y);
}

/** scaleStepsOfSquare from y's high and low 32-bit words (y itself only for the rare cases). */
function scaleStepsOfBits(hi: number, lo: number, y: number): number {
  const expField = hi >>> 20; // includes the sign bit: negative y gives ≥ 0x800
  if ((expField - 1) >>> 0 >= 0x7fe) {
    // 0, subnormal, ±∞, NaN or negative.
    if (!(y > 0) || y === Infinity) return 0;
    return -SCALE_STEPS_LIMIT; // subnormal: far below 2^-512
  }
  const mh = hi & 0xfffff;
  const pre = mh >>> 12;
  let n = PREFIX_BELOW[pre];
  const t = PREFIX_THRESH[pre];
  if (t >= 0 && (mh > THRESH_HI[t] || (mh === THRESH_HI[t] && lo >= THRESH_LO[t]))) n++;
  const v = 8 * (expField - 1023) + n;
  return v < -SCALE_STEPS_LIMIT ? -SCALE_STEPS_LIMIT : v > SCALE_STEPS_LIMIT ? SCALE_STEPS_LIMIT : v;
}

/** A matrix in compressed rows: per row, the columns with a nonzero weight, in column order. */
export interface SparseRows {
  rowStart: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
}
const sparseCache = new WeakMap<Float32Array, SparseRows>();
/** Compressed rows of a dense rows×cols matrix (cached per matrix). */
export function sparseRows(matrix: Float32Array, rows: number, width: number): SparseRows {
  let sp = sparseCache.get(matrix);
  if (!sp) {
    const rowStart = new Int32Array(rows + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) {
        const v = matrix[r * width + c];
        if (v !== 0) {
          cols.push(c);
          vals.push(v);
        }
      }
      rowStart[r + 1] = cols.length;
    }
    sp = { rowStart, cols: Int32Array.from(cols), vals: Float64Array.from(vals) };
    sparseCache.set(matrix, sp);
  }
  return sp;
}

/** Fixed per-mode configuration and scratch memory shared by FrameEncoder and FrameDecoder. */
export class FrameShape {
  readonly model: CodecModel;
  readonly bitrate: Bitrate;
  readonly stages: number;
  readonly budgetBits: number;
  readonly frameBytes: number;
  readonly bins: number;
  readonly bands: number;
  readonly codebookSize: number;
  private searchCache: NearestSearcher[] | null = null;
  // Derived per frame from the quantized indices.
  readonly eHat: Float64Array;
  readonly s: Float64Array;
  readonly w: Float64Array;
  /**
   * Scale index at gain index 0, without comb: ⌊16·log2(√(s/2)·w/gRef)⌉ + θ offset + origin +
   * GAIN_OFFSET, where the θ offset is the model's learned exp(θ_k) as whole scale steps.
   */
  readonly baseScale: Int32Array;
  /** Per-bin round(16·θ_k/ln 2) of the model's learned entropy model (zeros without one). */
  readonly thetaSteps: Int32Array;
  gRef = 1;
  private readonly level: Float64Array;
  private readonly sparseB: SparseRows;
  /** B as float64 rows when it has no zeros and 16 bands (a trained B), else null. */
  private readonly denseB: Float64Array | null;
  /** s·w²/(2·gRef²) per bin, and the same memory as 32-bit words for scaleStepsOfBits. */
  private readonly ySquare: Float64Array;
  private readonly yBits: Uint32Array;

  /** Perceptual weighting of this mode; encoder and decoder must use the same. */
  readonly weighting: Readonly<WeightingParams>;

  /** Temporal noise shaping of this mode (tns.ts); encoder and decoder must use the same order and ranges. */
  readonly tns: Readonly<TnsConfig>;
  /** Its filtered ranges [from, to), one filter and flag each (none when the order is 0). */
  readonly tnsRanges: readonly (readonly [number, number])[];

  constructor(model: CodecModel, bitrate: Bitrate, weighting: Readonly<WeightingParams> = DEFAULT_WEIGHTING, tns: Readonly<TnsConfig> = TNS_MODES[bitrate]) {
    this.model = model;
    this.tns = tns;
    this.tnsRanges = tns.order > 0 ? tnsRanges(tns, model.bins) : [];
    this.bitrate = bitrate;
    if (!(weighting.gamma > 0 && weighting.gamma < 1 && weighting.tilt >= 0 && weighting.tilt < 1)) {
      throw new RangeError(`weighting gamma and tilt must be in (0, 1) and [0, 1), got ${weighting.gamma}, ${weighting.tilt}`);
    }
    this.weighting = weighting;
    const stages = model.stagesPerMode[String(bitrate)];
    if (!Number.isInteger(stages) || stages < 1 || stages > model.codebooks.length) {
      throw new UserError(`model ${model.id} has no valid stage count for ${bitrate} bit/s`);
    }
    this.stages = stages;
    this.budgetBits = frameBits(bitrate);
    this.frameBytes = frameBytes(bitrate);
    this.bins = model.bins;
    this.bands = model.bands;
    this.codebookSize = 1 << model.stageBits;
    if (stages * model.stageBits + GAIN_BITS + 2 + COMB_LAG_BITS + CODED_BINS_BITS > this.budgetBits) {
      throw new UserError(`model ${model.id}: ${stages} stages of ${model.stageBits} bits do not fit a ${this.budgetBits}-bit frame`);
    }
    if (model.bins !== 320) throw new UserError(`model ${model.id} has ${model.bins} bins; the codec needs 320 (20 ms at 16 kHz)`);
    this.eHat = new Float64Array(model.bands);
    this.s = new Float64Array(model.bins);
    this.w = new Float64Array(model.bins);
    this.baseScale = new Int32Array(model.bins);
    this.level = new Float64Array(model.bands);
    this.sparseB = sparseRows(model.synthesis, model.bins, model.bands);
    this.denseB = model.bands === 16 && model.bins % 4 === 0 && this.sparseB.vals.length === model.bins * 16 ? this.sparseB.vals : null;
    this.ySquare = new Float64Array(model.bins);
    this.yBits = new Uint32Array(this.ySquare.buffer);
    this.thetaSteps = scaleIndexOffsets(model);
  }

  /** One exact nearest-codeword searcher per stage, for the encoder (built on first use). */
  get searchers(): NearestSearcher[] {
    this.searchCache ??= this.model.codebooks.slice(0, this.stages).map((cb, t) => searcherFor(cb, this.codebookSize, this.bands, shippedSearchAxes(this.model.id, t, this.bands)));
    return this.searchCache;
  }

  /** ê, s, w, gRef and base scale indices from stage indices (identical on both sides). */
  derive(indices: Int32Array): void {
    const { bands, bins, eHat, s, w, baseScale } = this;
    eHat.fill(0);
    for (let t = 0; t < this.stages; t++) {
      const cb = this.model.codebooks[t];
      const off = indices[t] * bands;
      for (let d = 0; d < bands; d++) eHat[d] += cb[off + d];
    }
    // s = B·exp(ê) (varianceFromEnvelope): per bin the sum over bands in band order, over B's
    // nonzero entries only (exact zeros add nothing, so s is unchanged). A trained B = exp(β) has
    // no zeros: its 16-band rows are summed unrolled with the levels in locals, same order.
    const level = this.level;
    for (let d = 0; d < bands; d++) level[d] = portableExp(eHat[d]);
    const dense = this.denseB;
    if (dense !== null) {
      const l0 = level[0], l1 = level[1], l2 = level[2], l3 = level[3], l4 = level[4], l5 = level[5], l6 = level[6], l7 = level[7];
      const l8 = level[8], l9 = level[9], l10 = level[10], l11 = level[11], l12 = level[12], l13 = level[13], l14 = level[14], l15 = level[15];
      // Four bins per iteration: four independent chains of additions (each in band order).
      for (let k = 0, o = 0; k < bins; k += 4, o += 64) {
        let a = 0;
        let b = 0;
        let c = 0;
        let e = 0;
        a += dense[o + 0] * l0; b += dense[o + 16] * l0; c += dense[o + 32] * l0; e += dense[o + 48] * l0;
        a += dense[o + 1] * l1; b += dense[o + 17] * l1; c += dense[o + 33] * l1; e += dense[o + 49] * l1;
        a += dense[o + 2] * l2; b += dense[o + 18] * l2; c += dense[o + 34] * l2; e += dense[o + 50] * l2;
        a += dense[o + 3] * l3; b += dense[o + 19] * l3; c += dense[o + 35] * l3; e += dense[o + 51] * l3;
        a += dense[o + 4] * l4; b += dense[o + 20] * l4; c += dense[o + 36] * l4; e += dense[o + 52] * l4;
        a += dense[o + 5] * l5; b += dense[o + 21] * l5; c += dense[o + 37] * l5; e += dense[o + 53] * l5;
        a += dense[o + 6] * l6; b += dense[o + 22] * l6; c += dense[o + 38] * l6; e += dense[o + 54] * l6;
        a += dense[o + 7] * l7; b += dense[o + 23] * l7; c += dense[o + 39] * l7; e += dense[o + 55] * l7;
        a += dense[o + 8] * l8; b += dense[o + 24] * l8; c += dense[o + 40] * l8; e += dense[o + 56] * l8;
        a += dense[o + 9] * l9; b += dense[o + 25] * l9; c += dense[o + 41] * l9; e += dense[o + 57] * l9;
        a += dense[o + 10] * l10; b += dense[o + 26] * l10; c += dense[o + 42] * l10; e += dense[o + 58] * l10;
        a += dense[o + 11] * l11; b += dense[o + 27] * l11; c += dense[o + 43] * l11; e += dense[o + 59] * l11;
        a += dense[o + 12] * l12; b += dense[o + 28] * l12; c += dense[o + 44] * l12; e += dense[o + 60] * l12;
        a += dense[o + 13] * l13; b += dense[o + 29] * l13; c += dense[o + 45] * l13; e += dense[o + 61] * l13;
        a += dense[o + 14] * l14; b += dense[o + 30] * l14; c += dense[o + 46] * l14; e += dense[o + 62] * l14;
        a += dense[o + 15] * l15; b += dense[o + 31] * l15; c += dense[o + 47] * l15; e += dense[o + 63] * l15;
        s[k] = a > 1e-30 ? a : 1e-30;
        s[k + 1] = b > 1e-30 ? b : 1e-30;
        s[k + 2] = c > 1e-30 ? c : 1e-30;
        s[k + 3] = e > 1e-30 ? e : 1e-30;
      }
    } else {
      const { rowStart, cols, vals } = this.sparseB;
      for (let k = 0; k < bins; k++) {
        let acc = 0;
        for (let q = rowStart[k]; q < rowStart[k + 1]; q++) acc += vals[q] * level[cols[q]];
        s[k] = acc > 1e-30 ? acc : 1e-30;
      }
    }
    perceptualWeights(s, w, this.weighting);
    let mean = 0;
    for (let d = 0; d < bands; d++) mean += eHat[d];
    this.gRef = portableExp(mean / bands / 2);
    const base = SCALE_ORIGIN + GAIN_OFFSET;
    // round(16·log2(√(s/2)·w/gRef)) = round(8·log2(x²)), x² = s·w²/(2·gRef²), read off the bits
    // of x² (scaleStepsOfSquare): exact integer work, no Math.log2.
    const inv = 1 / (2 * this.gRef * this.gRef);
    const theta = this.thetaSteps;
    const y = this.ySquare;
    const yBits = this.yBits;
    for (let k = 0; k < bins; k++) y[k] = s[k] * w[k] * w[k] * inv;
    for (let k = 0; k < bins; k++) baseScale[k] = base + theta[k] + scaleStepsOfBits(yBits[2 * k + HI], yBits[2 * k + LO], y[k]);
  }

  /** Global gain g at gain index i; the quantizer step is Δ_k = g / w_k. */
  globalGain(gainIndex: number): number {
    return this.gRef * GAIN_STEP ** (gainIndex - GAIN_OFFSET);
  }

  /** scaleIndex of bins 0 … count − 1 (every bin by default), into `out`. */
  scaleIndices(gainIndex: number, combLag: number, out: Int32Array, count = out.length): Int32Array {
    const base = this.baseScale;
    const comb = combLag >= 0 ? COMB_OFFSETS[combLag] : null;
    for (let k = 0; k < count; k++) {
      let j = base[k] - gainIndex;
      if (comb !== null && k < COMB_BINS) j += comb[k];
      out[k] = j < 0 ? 0 : j >= NUM_SCALES ? NUM_SCALES - 1 : j;
    }
    return out;
  }
}

/** What one frame carries, as the decoder sees it (also returned by the encoder for tests). */
export interface FrameFields {
  indices: Int32Array;
  gainIndex: number;
  /** Comb lag index, or −1 when the harmonic model is off. */
  combLag: number;
  /** Pitch post-filter parameters of the segment the frame outputs (lag 0: off). */
  pitch: PitchParams;
  /** Bins coded explicitly (320 unless the frame was truncated). */
  codedBins: number;
  /** Signed quantized values. */
  q: Int32Array;
  /** Refinement bits used. */
  refinements: number;
  /** Per TNS range (FrameShape.tnsRanges), the quantized reflection indices, or null where TNS is off in this frame. */
  tns: (Int32Array | null)[];
}

/** The weighting a tuning asks for (defaults from perceptual.ts). */
export function weightingOf(t: { weightGamma?: number; weightTilt?: number }): WeightingParams {
  return { gamma: t.weightGamma ?? DEFAULT_WEIGHTING.gamma, tilt: t.weightTilt ?? DEFAULT_WEIGHTING.tilt };
}
