/**
 * Per-bin entropy model of the quantized spectrum (DESIGN §1 "Spectrum coding", "Measured
 * starting point" items 2–4).
 *
 * Each bin k is a Laplacian with scale b_k = √(s_k/2)/Δ_k in quantizer units. It is quantized
 * with a dead zone: m = ⌊|u| + 0.3⌋, u = X_k/Δ_k (rounding offset 0.3, so the zero cell is
 * |u| < 0.7). The scale is quantized to an integer SCALE INDEX on a log grid of 1/16 octave
 * (0.376 dB), the same step as the global gain, so changing the gain index by one shifts every
 * bin's scale index by exactly one. All coder tables are integer CDFs precomputed per scale index;
 * nothing the coder sees depends on a float computed per frame except through that index.
 *
 * Coding of one magnitude m with scale index j (table T_j, alphabet 0..M−1 plus ESC):
 *   - large scales are split: m = h·2^L + lo, with L = L_j chosen so that b/2^L ≤ 6; h is coded
 *     with T_j, lo with L raw bits (the density is nearly flat across a 2^L chunk);
 *   - h ≥ M codes ESC, then a 5-bit length n ≤ ESC_MAX_BITS and the n low bits of h − M + 1
 *     below its leading one (bounded: at most ESC_MAX_BITS + 5 extra bits, values < 2^20 + M);
 *   - a raw sign bit when m > 0.
 *
 * Harmonic comb (item 3): below 5 kHz the scale is multiplied by a comb with peaks at multiples
 * of the pitch spacing P = 3.0 + 0.1·i bins (i: 7 bits), rescaled so each 20-bin band keeps its
 * mean scale; in scale-index units it is an integer offset table per lag.
 *
 * Determinism (DESIGN §1): the integer frequencies, low-bit counts and comb offsets are NOT
 * computed here from Math.exp/log2/cos (whose last bit is engine-defined) but read from the
 * committed, generated `entropy-tables.ts` (generator: generate-entropy-tables.ts, which holds
 * the float definitions summarised above).
 */
import { UserError } from '../errors.js';
import type { CodecModel } from './model-format.js';
import { COMB_OFFSETS_B64, SCALE_FREQS_B64, SCALE_LOW_BITS } from './entropy-tables.js';
import {
  GEN_COMB_BINS,
  GEN_COMB_DEPTH,
  GEN_COMB_LAGS,
  GEN_NUM_SCALES,
  GEN_ROUNDING_OFFSET,
  GEN_SCALE_ORIGIN,
  GEN_STEPS_PER_OCTAVE,
  GEN_TABLE_SYMBOLS,
  GEN_TABLE_TOTAL_BITS,
} from './entropy-table-spec.js';
import { bytesOfBase64 } from '../util/base64.js';

export const ROUNDING_OFFSET = GEN_ROUNDING_OFFSET;
/** Zero cell |u| < DEAD_ZONE_EDGE. */
export const DEAD_ZONE_EDGE = 1 - ROUNDING_OFFSET;
/** Scale-index steps per octave (also the gain steps per octave). */
export const STEPS_PER_OCTAVE = GEN_STEPS_PER_OCTAVE;
/** Index of b = 1. */
export const SCALE_ORIGIN = GEN_SCALE_ORIGIN;
/** b from 2^-8 to 2^(191/16) ≈ 3900. */
export const NUM_SCALES = GEN_NUM_SCALES;
/** Alphabet of the table-coded part (then ESC). */
export const TABLE_SYMBOLS = GEN_TABLE_SYMBOLS;
const ESC = TABLE_SYMBOLS;
export const TABLE_TOTAL_BITS = GEN_TABLE_TOTAL_BITS;
const TABLE_TOTAL = 1 << TABLE_TOTAL_BITS;
export const ESC_LENGTH_BITS = 5;
export const ESC_MAX_BITS = 20;
/** Largest magnitude of h (the table-coded part) that can be represented. */
export const MAX_HIGH = TABLE_SYMBOLS + (1 << (ESC_MAX_BITS + 1)) - 2;

/** Upper bound on the bits one bin can cost (table symbol + escape + raw low bits + sign). */
export const MAX_BIN_BITS = TABLE_TOTAL_BITS + ESC_LENGTH_BITS + ESC_MAX_BITS + 16 + 1;

export function scaleOfIndex(j: number): number {
  return 2 ** ((j - SCALE_ORIGIN) / STEPS_PER_OCTAVE);
}

export interface ScaleTable {
  /** Raw low bits L. */
  lowBits: number;
  /** Cumulative frequencies, length TABLE_SYMBOLS + 2, cdf[last] = 2^15. */
  cdf: Int32Array;
  /** Ideal cost in bits of each table symbol (incl. ESC), for the encoder's estimates. */
  readonly symbolBits: Float64Array;
  /** RMS of u inside the dead zone |u| < 0.7 under this Laplacian (for noise filling). */
  deadZoneRms: number;
}

const FREQ_BYTES = bytesOfBase64(SCALE_FREQS_B64);
if (SCALE_LOW_BITS.length !== NUM_SCALES || FREQ_BYTES.length !== 2 * NUM_SCALES * (TABLE_SYMBOLS + 1)) {
  throw new Error('entropy-tables.ts does not match entropy-model.ts (regenerate it)');
}

/**
 * One scale index's table. The decoder needs only cdf, lowBits and deadZoneRms; the ideal costs
 * (320 × 49 log2) serve the encoder's estimates alone, so they are computed on first use
 * (issue 15: decoder start-up).
 */
class LazyScaleTable implements ScaleTable {
  private bits: Float64Array | null = null;
  constructor(
    readonly lowBits: number,
    readonly cdf: Int32Array,
    readonly deadZoneRms: number,
  ) {}

  get symbolBits(): Float64Array {
    if (this.bits === null) {
      const n = this.cdf.length - 1;
      const b = new Float64Array(n);
      // Encoder-side estimate only (never read by the decoder), so a float here is harmless.
      for (let s = 0; s < n; s++) b[s] = TABLE_TOTAL_BITS - Math.log2(this.cdf[s + 1] - this.cdf[s]);
      this.bits = b;
    }
    return this.bits;
  }
}

/** All scale tables' cumulative frequencies in one allocation; each table's cdf is a view. */
const ALL_CDF = ((): Int32Array => {
  const nsym = TABLE_SYMBOLS + 1;
  const all = new Int32Array(NUM_SCALES * (nsym + 1));
  for (let j = 0, at = 0, o = 0; j < NUM_SCALES; j++, o++) {
    let acc = 0;
    for (let s = 0; s < nsym; s++, at += 2) all[++o] = acc += FREQ_BYTES[at] | (FREQ_BYTES[at + 1] << 8);
  }
  return all;
})();

function buildTable(j: number): ScaleTable {
  const nsym = TABLE_SYMBOLS + 1;
  const cdf = ALL_CDF.subarray(j * (nsym + 1), (j + 1) * (nsym + 1));
  if (cdf[nsym] !== TABLE_TOTAL) throw new Error(`entropy-tables.ts: scale ${j} does not sum to 2^15`);
  // Noise-fill level (decoder output only, never a coder decision, so a float is fine):
  // E[u² | |u| < T] for a Laplacian of scale b: b²·(2 − e^{−t}(t² + 2t + 2))/(1 − e^{−t}), t = T/b.
  const b = scaleOfIndex(j);
  const t = DEAD_ZONE_EDGE / b;
  const et = Math.exp(-t);
  const m2 = t > 1e-4 ? (b * b * (2 - et * (t * t + 2 * t + 2))) / (1 - et) : (DEAD_ZONE_EDGE * DEAD_ZONE_EDGE) / 3;
  return new LazyScaleTable(SCALE_LOW_BITS[j], cdf, Math.sqrt(Math.max(m2, 0)));
}

export const SCALE_TABLES: readonly ScaleTable[] = Array.from({ length: NUM_SCALES }, (_, j) => buildTable(j));

/** Cost table for magnitudes 0..COST_MAGNITUDES−1 per scale index (ideal bits incl. sign). */
export const COST_MAGNITUDES = 64;

function escLength(v: number): number {
  // v ≥ 1: number of bits below the leading one.
  return 31 - Math.clz32(v);
}

function magnitudeBitsSlow(t: ScaleTable, m: number): number {
  const h = m >>> t.lowBits;
  let bits = t.lowBits + (m > 0 ? 1 : 0);
  if (h < ESC) bits += t.symbolBits[h];
  else bits += t.symbolBits[ESC] + ESC_LENGTH_BITS + escLength(h - ESC + 1);
  return bits;
}

/** Padding of COST_BY_MAGNITUDE rows on each side (scale indices clamp to the table's ends). */
export const COST_ROW_PAD = 64;
export const COST_ROW_LENGTH = NUM_SCALES + 2 * COST_ROW_PAD;

/** The encoder's ideal-cost tables (see encoderCostTables). */
export interface EncoderCostTables {
  /** Flat cost table: magnitudeCost[j·COST_MAGNITUDES + m], ideal bits incl. sign. */
  readonly magnitudeCost: Float64Array;
  /**
   * The same costs transposed: costByMagnitude[m·COST_ROW_LENGTH + COST_ROW_PAD + j] for
   * j ∈ [−PAD, NUM_SCALES + PAD), clamped to the nearest valid scale index — contiguous in j, so
   * the encoder's comb search can shift a whole row by an offset without bounds checks.
   */
  readonly costByMagnitude: Float64Array;
}

let costTables: EncoderCostTables | null = null;

/** Built on first use, once per process: only the encoder reads them (decoder start-up, issue 15). */
export function encoderCostTables(): EncoderCostTables {
  if (costTables === null) {
    const magnitudeCost = new Float64Array(NUM_SCALES * COST_MAGNITUDES);
    SCALE_TABLES.forEach((t, j) => {
      for (let m = 0; m < COST_MAGNITUDES; m++) magnitudeCost[j * COST_MAGNITUDES + m] = magnitudeBitsSlow(t, m);
    });
    const costByMagnitude = new Float64Array(COST_MAGNITUDES * COST_ROW_LENGTH);
    for (let m = 0; m < COST_MAGNITUDES; m++) {
      for (let i = 0; i < COST_ROW_LENGTH; i++) {
        const j = Math.min(NUM_SCALES - 1, Math.max(0, i - COST_ROW_PAD));
        costByMagnitude[m * COST_ROW_LENGTH + i] = magnitudeCost[j * COST_MAGNITUDES + m];
      }
    }
    costTables = { magnitudeCost, costByMagnitude };
  }
  return costTables;
}

/** Ideal bits to code magnitude m (with its sign) at scale index j. */
export function magnitudeBits(j: number, m: number): number {
  if (m < COST_MAGNITUDES) return encoderCostTables().magnitudeCost[j * COST_MAGNITUDES + m];
  return magnitudeBitsSlow(SCALE_TABLES[j], m);
}

/** maxMagnitude per scale index (integers below 2^53: exact). */
const MAX_MAGNITUDE = Float64Array.from(SCALE_TABLES, (t) => MAX_HIGH * 2 ** t.lowBits + 2 ** t.lowBits - 1);

/** Largest magnitude representable at scale index j (the encoder clamps to it). */
export function maxMagnitude(j: number): number {
  return MAX_MAGNITUDE[j];
}

export function clampScaleIndex(j: number): number {
  return j < 0 ? 0 : j >= NUM_SCALES ? NUM_SCALES - 1 : j;
}

// ---------------------------------------------------------------------------------------------
// Harmonic comb

export const COMB_LAGS = GEN_COMB_LAGS;
export const COMB_LAG_BITS = 7;
/** Comb covers bins below 5 kHz (200 bins of 25 Hz). */
export const COMB_BINS = GEN_COMB_BINS;
/** Peak-to-mean depth of the comb, exp(κ cos φ). */
export const COMB_DEPTH = GEN_COMB_DEPTH;

/** Pitch spacing in bins for lag index i. */
export function combSpacing(i: number): number {
  return 3.0 + 0.1 * i;
}

const COMB_BYTES = bytesOfBase64(COMB_OFFSETS_B64);
if (COMB_BYTES.length !== COMB_LAGS * COMB_BINS) throw new Error('entropy-tables.ts: comb table has the wrong size (regenerate it)');

/** All lags' comb offsets, signed, in one copy; each lag's row is a view. */
const COMB_ALL = Int8Array.from(new Int8Array(COMB_BYTES.buffer, COMB_BYTES.byteOffset, COMB_BYTES.length));

function buildComb(i: number): Int8Array {
  return COMB_ALL.subarray(i * COMB_BINS, (i + 1) * COMB_BINS);
}

/** Scale-index offsets of the comb, per lag index, for bins 0..COMB_BINS−1. */
export const COMB_OFFSETS: readonly Int8Array[] = Array.from({ length: COMB_LAGS }, (_, i) => buildComb(i));

/** Range of the comb offsets over all lags and bins (for the encoder's cost tables). */
export const COMB_OFFSET_MIN = COMB_ALL.reduce((a, v) => (v < a ? v : a));
export const COMB_OFFSET_MAX = COMB_ALL.reduce((a, v) => (v > a ? v : a));

// ---------------------------------------------------------------------------------------------
// Learned entropy-model parameters (issue 6)

/**
 * Kind written by the trainer (src/train/trainer.ts ENTROPY_MODEL_KIND): params = θ, one float32
 * per bin, and the Laplacian scale of bin k is b_k = exp(θ_k)·√(s_k/2)/Δ_k.
 */
export const LAPLACE_LOG_SCALE_PER_BIN = 'laplace-log-scale-per-bin';
/** Entropy-model kinds the codec can apply (a model without the section uses θ = 0). */
export const ENTROPY_MODEL_KINDS: readonly string[] = [LAPLACE_LOG_SCALE_PER_BIN];
/** Scale-index steps per nat: log2(exp θ)·16 = θ·16/ln 2. */
const SCALE_STEPS_PER_NAT = STEPS_PER_OCTAVE / Math.LN2;

/**
 * Per-bin integer scale-index offsets of a model's learned entropy model: round(16·θ_k/ln 2),
 * i.e. exp(θ_k) on the 1/16-octave grid, clamped to ±NUM_SCALES (beyond that every index clamps
 * to a table end anyway). All zero when the model has no entropy-model section.
 *
 * Computed once per model, and both encoder and decoder add the same integers to the base scale
 * index. Engine-independent: θ_k is a float32 (exact in a double), STEPS_PER_OCTAVE / Math.LN2
 * is one IEEE division of two exactly specified doubles, their product is a correctly rounded
 * IEEE multiplication and Math.round is exactly specified (ties toward +∞), so every conforming
 * engine gets the same integers, even for a product that lands on .5.
 *
 * Throws UserError for a kind the codec does not know (naming the supported kinds) or a
 * parameter count other than one per bin.
 */
export function scaleIndexOffsets(model: Pick<CodecModel, 'id' | 'bins' | 'entropyModel'>): Int32Array {
  const out = new Int32Array(model.bins);
  const em = model.entropyModel;
  if (!em) return out;
  if (em.kind !== LAPLACE_LOG_SCALE_PER_BIN) {
    throw new UserError(`model ${model.id} has an entropy model of kind ${JSON.stringify(em.kind)}; this codec supports: ${ENTROPY_MODEL_KINDS.join(', ')}`);
  }
  if (em.params.length !== model.bins) {
    throw new UserError(`model ${model.id}: entropy model '${em.kind}' has ${em.params.length} parameters, expected ${model.bins} (one per bin)`);
  }
  for (let k = 0; k < model.bins; k++) {
    const v = Math.round(em.params[k] * SCALE_STEPS_PER_NAT);
    out[k] = v < -NUM_SCALES ? -NUM_SCALES : v > NUM_SCALES ? NUM_SCALES : v;
  }
  return out;
}
