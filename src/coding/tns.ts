/**
 * Temporal noise shaping (issue 12, format 4; two ranges since format 5): a linear predictor run across frequency over the
 * perceptually weighted MDCT spectrum. Coding the prediction residual and inverting the filter
 * at the decoder gives the quantization noise the signal's temporal envelope inside the window,
 * so onsets and offsets no longer smear noise into the quiet part of a frame (Herre & Johnston,
 * AES 101, 1996; the tool of AAC and EVS TCX). Field layout and derivations: docs/bitstream.md.
 *
 * Everything that decides a symbol (autocorrelation, Levinson–Durbin, the table search) uses
 * + − × ÷ and comparisons only, and the tables come from the portable sine and exp, so streams
 * are identical on every engine.
 */
import type { Bitrate } from './modes.js';
import { levinsonInto } from '../dsp/lpc.js';
import { portableExp, portableSin } from '../dsp/portable-math.js';

/** Highest filter order. */
export const TNS_MAX_ORDER = 8;
/** Bits per quantized reflection coefficient. */
export const TNS_COEF_BITS = 4;
/** The flag: on in about a quarter of the frames (train-clean-100), so P(1) = 1/4. */
export const TNS_FLAG_P1 = 1;
export const TNS_FLAG_TOTAL = 4;
/** The flag's code length for the rate loop's estimate, on and off: −log2(1/4) and −log2(3/4) ≈ 0.415, rounded up. */
export const TNS_FLAG_BITS_ON = 2;
export const TNS_FLAG_BITS_OFF = 0.42;
/** Quantized reflection coefficients sin(i·π/18), i = −8 … 7 (index i + 8): |k| ≤ 0.985. */
export const TNS_PARCOR = Float64Array.from({ length: 1 << TNS_COEF_BITS }, (_, i) => portableSin(((i - 8) * Math.PI) / 18));
/** Decision thresholds: midpoints between neighbouring table entries. */
const MIDPOINTS = Float64Array.from({ length: TNS_PARCOR.length - 1 }, (_, i) => (TNS_PARCOR[i] + TNS_PARCOR[i + 1]) / 2);
/**
 * Gaussian lag window over the frequency lag i: a time-envelope estimate smoothed like AAC's
 * (the autocorrelation across frequency is the squared Hilbert envelope's spectrum).
 */
const LAG_WINDOW = Float64Array.from({ length: TNS_MAX_ORDER + 1 }, (_, i) => portableExp(-0.5 * (0.4 * i) * (0.4 * i)));

/** Where the filters run and when the encoder turns them on. */
export interface TnsConfig {
  /** First bin of the lower filtered range. */
  startBin: number;
  /**
   * First bin of the upper range (format 5): [startBin, splitBin) and [splitBin, last bin] each
   * have a filter of their own, with its own flag. At or above the bin count: one range.
   */
  splitBin: number;
  /** Filter order, 1 … TNS_MAX_ORDER (0: the mode never uses TNS, no flag is sent). */
  order: number;
  /** The encoder turns TNS on when the prediction gain exceeds this (an encoder choice only). */
  minGain: number;
}

/** Nearest table index of a reflection coefficient. */
export function quantizeParcor(k: number): number {
  let i = 0;
  while (i < MIDPOINTS.length && k > MIDPOINTS[i]) i++;
  return i;
}

/** Prediction-error filter a[0..order] (a[0] = 1) from quantized reflection indices (step-up recursion). */
export function parcorToLpc(indices: ArrayLike<number>, order: number, a: Float64Array, scratch: Float64Array): void {
  a.fill(0);
  a[0] = 1;
  for (let i = 1; i <= order; i++) {
    const k = TNS_PARCOR[indices[i - 1]];
    for (let j = 1; j < i; j++) scratch[j] = a[j];
    for (let j = 1; j < i; j++) a[j] = scratch[j] + k * scratch[i - j];
    a[i] = k;
  }
}

/** Prediction gain 1 / Π(1 − k_i²) of quantized reflection indices (the residual's power is the input's / gain). */
export function tnsPredictionGain(indices: ArrayLike<number>, order: number): number {
  let p = 1;
  for (let i = 0; i < order; i++) {
    const k = TNS_PARCOR[indices[i]];
    p *= 1 - k * k;
  }
  return 1 / p;
}

/** In place over bins [start, end): r_k = u_k + Σ a_i u_{k−i}, with u = 0 below start (the encoder's filter). */
export function tnsAnalysis(u: Float64Array, a: ArrayLike<number>, order: number, start: number, end: number): void {
  for (let k = end - 1; k >= start; k--) {
    let acc = u[k];
    const lim = Math.min(order, k - start);
    for (let i = 1; i <= lim; i++) acc += a[i] * u[k - i];
    u[k] = acc;
  }
}

/** In place over bins [start, end): y_k = r_k − Σ a_i y_{k−i}, the inverse of tnsAnalysis (the decoder's filter). */
export function tnsSynthesis(y: Float64Array, a: ArrayLike<number>, order: number, start: number, end: number): void {
  for (let k = start; k < end; k++) {
    let acc = y[k];
    const lim = Math.min(order, k - start);
    for (let i = 1; i <= lim; i++) acc -= a[i] * y[k - i];
    y[k] = acc;
  }
}

/**
 * The encoder's choice for one frame: the reflection coefficients of the lag-windowed
 * autocorrelation of u over [start, end), quantized into `indices`. Returns the unquantized
 * filter's prediction gain on that autocorrelation (1 when the spectrum is silent), which the
 * caller compares with minGain.
 */
export class TnsAnalyzer {
  private readonly r = new Float64Array(TNS_MAX_ORDER + 1);
  private readonly a = new Float64Array(TNS_MAX_ORDER + 1);
  private readonly scratch = new Float64Array(TNS_MAX_ORDER + 1);
  private readonly refl = new Float64Array(TNS_MAX_ORDER);

  choose(u: ArrayLike<number>, order: number, start: number, end: number, indices: Int32Array): number {
    const { r } = this;
    for (let lag = 0; lag <= order; lag++) {
      let s = 0;
      for (let k = start + lag; k < end; k++) s += u[k] * u[k - lag];
      r[lag] = s * LAG_WINDOW[lag];
    }
    if (!(r[0] > 0)) {
      indices.fill(8, 0, order);
      return 1;
    }
    const error = levinsonInto(r, order, this.a, this.scratch, this.refl);
    for (let i = 0; i < order; i++) indices[i] = quantizeParcor(this.refl[i]);
    return error > 0 ? r[0] / error : 1;
  }
}

/**
 * Two ranges since format 5 at 16.4–32 kbit/s, split at 2.5 kHz: one filter over 1–8 kHz imposed
 * the time envelope of the louder low range on the high range's noise, which then landed where
 * the reference is quiet there (an offset with a late fricative). With its own range the low
 * filter can start lower, at 750 Hz. At 8–13.2 kbit/s the second flag and filter cost STOI for
 * PESQ that is already above the target there, so those modes keep one range from 1 kHz
 * (docs/quality.md "Two TNS ranges").
 */
export const TNS_SPLIT_BIN = 100;
/** splitBin of a mode with one range (any value at or above the bin count). */
const ONE_RANGE = 320;

/**
 * Settings, chosen on 11 train-clean-100 files (docs/quality.md "Temporal noise shaping"): from
 * 1 kHz up (lower, the filter predicts the harmonics instead of the time envelope and costs
 * PESQ), on above a prediction gain of 1.1; order 2 (4 and 8 were no better and cost more bits).
 * At 8 and 9.6 kbit/s order 1: 0.02 PESQ less there but +0.0007 / +0.0005 STOI and +0.03 dB
 * pSNR (25 more training files), where PESQ is far above the target and STOI and pSNR
 * are not. The order and ranges are part of the format; the threshold is the encoder's choice.
 */
const TNS_LOW_RATES: Readonly<TnsConfig> = { startBin: 40, splitBin: ONE_RANGE, order: 1, minGain: 1.1 };
const TNS_MID_RATE: Readonly<TnsConfig> = { startBin: 40, splitBin: ONE_RANGE, order: 2, minGain: 1.1 };
const TNS_HIGH_RATES: Readonly<TnsConfig> = { startBin: 30, splitBin: TNS_SPLIT_BIN, order: 2, minGain: 1.1 };
export const TNS_MODES: Readonly<Record<Bitrate, Readonly<TnsConfig>>> = {
  8000: TNS_LOW_RATES,
  9600: TNS_LOW_RATES,
  13200: TNS_MID_RATE,
  16400: TNS_HIGH_RATES,
  24400: TNS_HIGH_RATES,
  32000: TNS_HIGH_RATES,
};

/** A mode's TNS settings with experiment overrides (tnsOrder, tnsStartBin and tnsSplitBin must match on both sides). */
export function tnsConfigOf(bitrate: Bitrate, t: { tnsOrder?: number; tnsStartBin?: number; tnsSplitBin?: number; tnsMinGain?: number } = {}): TnsConfig {
  const c = { ...TNS_MODES[bitrate] };
  if (t.tnsOrder !== undefined) c.order = t.tnsOrder;
  if (t.tnsStartBin !== undefined) c.startBin = t.tnsStartBin;
  if (t.tnsSplitBin !== undefined) c.splitBin = t.tnsSplitBin;
  if (t.tnsMinGain !== undefined) c.minGain = t.tnsMinGain;
  if (!(Number.isInteger(c.order) && c.order >= 0 && c.order <= TNS_MAX_ORDER)) throw new RangeError(`TNS order must be an integer in 0 … ${TNS_MAX_ORDER}, got ${c.order}`);
  if (!(Number.isInteger(c.startBin) && c.startBin >= 0 && c.startBin < 320)) throw new RangeError(`TNS start bin must be an integer in 0 … 319, got ${c.startBin}`);
  if (!(Number.isInteger(c.splitBin) && c.splitBin > c.startBin)) throw new RangeError(`TNS split bin must be an integer above the start bin ${c.startBin}, got ${c.splitBin}`);
  if (!(c.minGain >= 1)) throw new RangeError(`TNS minimum gain must be at least 1, got ${c.minGain}`);
  return c;
}

/** The filtered ranges [from, to) of a configuration over `bins` bins: one or two, in bin order. */
export function tnsRanges(c: Readonly<TnsConfig>, bins: number): [number, number][] {
  return c.splitBin < bins ? [[c.startBin, c.splitBin], [c.splitBin, bins]] : [[c.startBin, bins]];
}
