/**
 * Perceptual weights from the quantized envelope (DESIGN §1 "Perceptual model" and "Measured
 * starting point" item 1): an order-16 LPC of the tilt-compensated power spectrum
 * s_k·|1 − 0.95 e^{−jω_k}|² (r[0] × 1.0001, 60 Hz Gaussian lag window), then
 * w_k = |A(e^{jω_k}/0.85)|, normalised to a geometric mean of 1 per frame.
 *
 * Encoder and decoder both call this on s = B·exp(ê), so nothing extra is sent.
 */
import { gaussianLagWindow, levinson } from '../dsp/lpc.js';

export const WEIGHT_TILT = 0.95;
export const WEIGHT_GAMMA = 0.85;
export const WEIGHT_LPC_ORDER = 16;
export const WEIGHT_LAG_WINDOW_HZ = 60;
export const WEIGHT_WHITE_NOISE = 1e-4;

const tiltCache = new Map<number, Float64Array>();
const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

const lagWindow = gaussianLagWindow(WEIGHT_LPC_ORDER, WEIGHT_LAG_WINDOW_HZ, 16000);

/** cos(iω_k), sin(iω_k) for i = 1..order, row i−1, at ω_k = π(k + ½)/n (cached per n). */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const p = WEIGHT_LPC_ORDER;
    t = { cos: new Float64Array(p * n), sin: new Float64Array(p * n) };
    for (let i = 1; i <= p; i++) {
      for (let k = 0; k < n; k++) {
        const w = (Math.PI * (k + 0.5) * i) / n;
        t.cos[(i - 1) * n + k] = Math.cos(w);
        t.sin[(i - 1) * n + k] = Math.sin(w);
      }
    }
    twiddleCache.set(n, t);
  }
  return t;
}

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

let scratch: { p: Float64Array; re: Float64Array; im: Float64Array } | null = null;
/** Reused work arrays (single-threaded; no call re-enters). */
function scratchFor(n: number): { p: Float64Array; re: Float64Array; im: Float64Array } {
  if (!scratch || scratch.p.length !== n) scratch = { p: new Float64Array(n), re: new Float64Array(n), im: new Float64Array(n) };
  return scratch;
}

/** Weights w (length s.length, geometric mean 1) from the per-bin variance s. */
export function perceptualWeights(s: ArrayLike<number>, out?: Float64Array): Float64Array {
  const n = s.length;
  const tilt = tiltResponse(n);
  // Autocorrelation of the tilted power spectrum, r[i] = (1/n) Σ_k p_k cos(iω_k), then the
  // 60 Hz lag window and r[0] × 1.0001 — what lpcFromPowerSpectrum does, with cached cosines.
  const { cos, sin } = twiddles(n);
  const r = new Float64Array(WEIGHT_LPC_ORDER + 1);
  const sc = scratchFor(n);
  const p = sc.p;
  let r0 = 0;
  for (let k = 0; k < n; k++) {
    p[k] = s[k] * tilt[k];
    r0 += p[k];
  }
  r[0] = (r0 / n) * (1 + WEIGHT_WHITE_NOISE);
  for (let i = 1; i <= WEIGHT_LPC_ORDER; i++) {
    const o = (i - 1) * n;
    let acc = 0;
    for (let k = 0; k < n; k++) acc += p[k] * cos[o + k];
    r[i] = (acc / n) * lagWindow[i];
  }
  const a = levinson(r, WEIGHT_LPC_ORDER).a;
  // |A(e^{jω}/γ)| = |Σ_i a_i γ^i e^{−jiω}| (same as lpcResponseAtBins, with cached twiddles).
  const re = sc.re.fill(1);
  const im = sc.im.fill(0);
  let g = 1;
  for (let i = 1; i < a.length; i++) {
    g *= WEIGHT_GAMMA;
    const c = a[i] * g;
    if (c === 0) continue;
    const o = (i - 1) * n;
    for (let k = 0; k < n; k++) {
      re[k] += c * cos[o + k];
      im[k] -= c * sin[o + k];
    }
  }
  const res = out ?? new Float64Array(n);
  let logSum = 0;
  for (let k = 0; k < n; k++) {
    const p2 = re[k] * re[k] + im[k] * im[k];
    res[k] = p2;
    logSum += Math.log(p2);
  }
  // Geometric mean 1: w_k = sqrt(p2_k / exp(mean log p2)).
  const norm = Math.exp(-logSum / n);
  for (let k = 0; k < n; k++) res[k] = Math.sqrt(res[k] * norm);
  return res;
}
