/**
 * Perceptual weights from the quantized envelope (DESIGN §1 "Perceptual model" and "Measured
 * starting point" item 1): an order-16 LPC of the tilt-compensated power spectrum
 * s_k·|1 − 0.95 e^{−jω_k}|² (r[0] × 1.0001, 60 Hz Gaussian lag window), then
 * w_k = |A(e^{jω_k}/0.85)|, normalised to a geometric mean of 1 per frame.
 *
 * Encoder and decoder both call this on s = B·exp(ê), so nothing extra is sent.
 */
import { lpcFromPowerSpectrum, lpcResponseAtBins } from '../dsp/lpc.js';

export const WEIGHT_TILT = 0.95;
export const WEIGHT_GAMMA = 0.85;
export const WEIGHT_LPC_ORDER = 16;
export const WEIGHT_LAG_WINDOW_HZ = 60;
export const WEIGHT_WHITE_NOISE = 1e-4;

const tiltCache = new Map<number, Float64Array>();

/** |1 − μ e^{−jω_k}|² at the MDCT bin centres ω_k = π(k + ½)/n. */
function tiltResponse(n: number): Float64Array {
  let t = tiltCache.get(n);
  if (!t) {
    t = new Float64Array(n);
    const mu = WEIGHT_TILT;
    for (let k = 0; k < n; k++) t[k] = 1 + mu * mu - 2 * mu * Math.cos((Math.PI * (k + 0.5)) / n);
    tiltCache.set(n, t);
  }
  return t;
}

/** Weights w (length s.length, geometric mean 1) from the per-bin variance s. */
export function perceptualWeights(s: ArrayLike<number>, out?: Float64Array): Float64Array {
  const n = s.length;
  const tilt = tiltResponse(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n; k++) p[k] = s[k] * tilt[k];
  const a = lpcFromPowerSpectrum(p, WEIGHT_LPC_ORDER, {
    lagWindowHz: WEIGHT_LAG_WINDOW_HZ,
    whiteNoiseCorrection: WEIGHT_WHITE_NOISE,
    sampleRate: 16000,
  });
  const w = lpcResponseAtBins(a, WEIGHT_GAMMA, n);
  let logSum = 0;
  for (let k = 0; k < n; k++) logSum += Math.log(w[k]);
  const norm = Math.exp(-logSum / n);
  const res = out ?? new Float64Array(n);
  for (let k = 0; k < n; k++) res[k] = w[k] * norm;
  return res;
}
