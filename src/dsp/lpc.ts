/**
 * Linear prediction: autocorrelation, lag window, white-noise correction, Levinson–Durbin,
 * LPC from a power spectrum sampled at MDCT bin centres, and the weighting response
 * |A(e^{jω}/γ)| at those bin centres (DESIGN §1 "Perceptual model", §4 pSNR).
 *
 * Convention: A(z) = Σ_{i=0}^{p} a_i z^{-i} with a_0 = 1 is the prediction-error filter,
 * e[n] = x[n] + Σ_{i≥1} a_i x[n−i]; the synthesis filter is 1/A(z).
 */

import { portableExp } from './portable-math.js';

/** r[i] = Σ_n x[n]·x[n+i] for i = 0..order (biased, no window: window the input first). */
export function autocorrelation(x: ArrayLike<number>, order: number): Float64Array {
  checkOrder(order);
  const n = x.length;
  const r = new Float64Array(order + 1);
  for (let lag = 0; lag <= order && lag < n; lag++) {
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += x[i] * x[i + lag];
    r[lag] = s;
  }
  return r;
}

export interface LevinsonResult {
  /** Prediction-error filter, length order+1, a[0] = 1. */
  a: Float64Array;
  /** Final prediction error energy (same units as r[0]). */
  error: number;
  /** Reflection coefficients k_1..k_order (length order); zero past an early stop. */
  reflection: Float64Array;
}

/**
 * Levinson–Durbin recursion for the normal equations Σ_j a_j r[|i−j|] = −r[i], i = 1..order.
 *
 * Numerically safe: if r[0] ≤ 0 (silence) it returns A(z) = 1; if a step would make the
 * error ≤ 0 or a reflection coefficient |k| ≥ 1 (non-positive-definite input, e.g. from
 * rounding), it stops and keeps the last stable filter, leaving higher coefficients zero.
 * The returned filter is therefore always minimum phase.
 */
export function levinson(r: ArrayLike<number>, order: number): LevinsonResult {
  checkOrder(order);
  if (r.length < order + 1) {
    throw new RangeError(`levinson: need ${order + 1} autocorrelation values, got ${r.length}`);
  }
  const a = new Float64Array(order + 1);
  const reflection = new Float64Array(order);
  const error = levinsonInto(r, order, a, new Float64Array(order + 1), reflection);
  return { a, error, reflection };
}

/**
 * The recursion of `levinson` into caller-owned arrays (a: order + 1 entries, scratch: order,
 * reflection: order or omitted), for per-frame use without allocation. Same operations in the
 * same order and the same early stops; returns the prediction error (0 for a non-positive or
 * non-finite r[0], as `levinson` reports it). No argument checks: callers own the sizes.
 */
export function levinsonInto(r: ArrayLike<number>, order: number, a: Float64Array, scratch: Float64Array, reflection?: Float64Array): number {
  a.fill(0);
  a[0] = 1;
  reflection?.fill(0);
  let error = r[0];
  if (!(error > 0) || !Number.isFinite(error)) return Number.isFinite(error) ? Math.max(error, 0) : 0;
  for (let i = 1; i <= order; i++) {
    let acc = r[i];
    for (let j = 1; j < i; j++) acc += a[j] * r[i - j];
    const k = -acc / error;
    const nextError = error * (1 - k * k);
    if (!(Math.abs(k) < 1) || !(nextError > 0)) break;
    // Only the entries the update reads are saved.
    for (let j = 1; j < i; j++) scratch[j] = a[j];
    for (let j = 1; j < i; j++) a[j] = scratch[j] + k * scratch[i - j];
    a[i] = k;
    if (reflection) reflection[i - 1] = k;
    error = nextError;
  }
  return error;
}

/**
 * Gaussian lag window w[i] = exp(−½ (2π f0 i / fs)²), i = 0..order (w[0] = 1). Multiplying
 * r[i] by it convolves the power spectrum with a Gaussian of standard deviation f0 Hz,
 * which widens sharp formant peaks (bandwidth expansion).
 */
export function gaussianLagWindow(order: number, bandwidthHz: number, sampleRate: number): Float64Array {
  checkOrder(order);
  if (!(bandwidthHz >= 0) || !(sampleRate > 0)) {
    throw new RangeError(`gaussianLagWindow: need bandwidthHz ≥ 0 and sampleRate > 0`);
  }
  const w = new Float64Array(order + 1);
  const c = (2 * Math.PI * bandwidthHz) / sampleRate;
  // Portable exp: the codec's perceptual weights use this window, and the decoder must get the
  // same bits on every engine (src/dsp/portable-math.ts).
  for (let i = 0; i <= order; i++) w[i] = portableExp(-0.5 * (c * i) * (c * i));
  return w;
}

export interface LpcFromPowerOptions {
  /** Gaussian lag window bandwidth in Hz; 0 disables it. Default 60 (DESIGN §1, measured best). */
  lagWindowHz?: number;
  /** White-noise correction λ: r[0] ← r[0]·(1+λ). Default 1e-4 (r[0] × 1.0001, DESIGN §1). */
  whiteNoiseCorrection?: number;
  /** Sample rate in Hz, used only by the lag window. Default 16000. */
  sampleRate?: number;
}

/**
 * LPC of order `order` from a power spectrum P_k sampled at the MDCT bin centres
 * ω_k = π(k+½)/N, N = power.length. The autocorrelation is the inverse cosine transform
 * r[i] = (1/N) Σ_k P_k cos(ω_k i) (exact for lags below 2N up to aliasing of r at ±2N), then
 * lag window and white-noise correction, then Levinson–Durbin. Returns a (a[0] = 1).
 * Defaults follow DESIGN §1 (60 Hz lag window, r[0] × 1.0001, 16 kHz); pass 0 to disable.
 */
export function lpcFromPowerSpectrum(
  power: ArrayLike<number>,
  order: number,
  opts: LpcFromPowerOptions = {},
): Float64Array {
  checkOrder(order);
  const n = power.length;
  if (n === 0) throw new RangeError('lpcFromPowerSpectrum: empty power spectrum');
  const lagHz = opts.lagWindowHz ?? 60;
  const lambda = opts.whiteNoiseCorrection ?? 1e-4;
  const fs = opts.sampleRate ?? 16000;
  const r = new Float64Array(order + 1);
  // cos(ω_k i) by the Chebyshev recurrence cos((i+1)ω) = 2cos ω·cos(iω) − cos((i−1)ω):
  // one cos per bin instead of one per (bin, lag); error stays ~1e-15 for order ≤ 64.
  for (let k = 0; k < n; k++) {
    const p = power[k];
    const c1 = Math.cos((Math.PI * (k + 0.5)) / n);
    let cPrev = 1;
    let cCur = c1;
    r[0] += p;
    if (order >= 1) r[1] += p * c1;
    for (let i = 2; i <= order; i++) {
      const cNext = 2 * c1 * cCur - cPrev;
      r[i] += p * cNext;
      cPrev = cCur;
      cCur = cNext;
    }
  }
  for (let i = 0; i <= order; i++) r[i] /= n;
  if (lagHz > 0) {
    const w = gaussianLagWindow(order, lagHz, fs);
    for (let i = 1; i <= order; i++) r[i] *= w[i];
  }
  r[0] *= 1 + lambda;
  return levinson(r, order).a;
}

/**
 * |A(e^{jω_k}/γ)| = |Σ_i a_i γ^i e^{−jω_k i}| at ω_k = π(k+½)/nBins, k = 0..nBins−1 —
 * the perceptual weights w_k of DESIGN §1 (before any normalisation). Horner's rule in
 * z^{-1}, one cos/sin per bin: O(order·nBins).
 */
export function lpcResponseAtBins(a: ArrayLike<number>, gamma: number, nBins: number): Float64Array {
  if (!Number.isInteger(nBins) || nBins < 0) throw new RangeError(`lpcResponseAtBins: bad nBins ${nBins}`);
  const p = a.length - 1;
  if (p < 0) throw new RangeError('lpcResponseAtBins: empty coefficient vector');
  const ag = new Float64Array(p + 1);
  let g = 1;
  for (let i = 0; i <= p; i++) {
    ag[i] = a[i] * g;
    g *= gamma;
  }
  const out = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) {
    const w = (Math.PI * (k + 0.5)) / nBins;
    const zr = Math.cos(w);
    const zi = -Math.sin(w); // z^{-1} = e^{−jω}
    let sr = ag[p];
    let si = 0;
    for (let i = p - 1; i >= 0; i--) {
      const tr = sr * zr - si * zi + ag[i];
      si = sr * zi + si * zr;
      sr = tr;
    }
    out[k] = Math.hypot(sr, si);
  }
  return out;
}

function checkOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0) throw new RangeError(`LPC order must be a non-negative integer, got ${order}`);
}
