/**
 * Time alignment of a degraded signal to its reference (DESIGN §4): the integer lag within
 * ±maxLagMs that maximises the plain cross-correlation c[l] = Σ_n ref[n]·deg[n+l]. Sign
 * convention (as shared/reference/README.md): degraded sample n+lag matches reference
 * sample n, so a degraded file delayed by 120 samples has lag +120. No gain matching.
 *
 * The correlation at every lag comes from one FFT; the few lags whose FFT value lies within
 * rounding of the maximum are then re-evaluated by direct summation, so the returned lag is
 * the exact arg-max (ties → the most negative lag, like numpy's argmax over ascending lags).
 */
import { RealFft, nextPowerOfTwo } from './real-fft.js';

export const DEFAULT_MAX_LAG_MS = 40;

function directCorrelation(ref: Float32Array, deg: Float32Array, lag: number): number {
  const n0 = Math.max(0, -lag);
  const n1 = Math.min(ref.length, deg.length - lag);
  let s = 0;
  for (let n = n0; n < n1; n++) s += ref[n] * deg[n + lag];
  return s;
}

function energy(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/**
 * Cross-correlation c[l] = Σ_n ref[n]·deg[n+l] for l = −maxLag..maxLag (index l + maxLag),
 * by overlap-save FFT over blocks of the reference: a block ref[b, b+S) needs
 * deg[b − maxLag, b + S + maxLag), and with an FFT of size F ≥ S + 2·maxLag the circular
 * correlation at t = maxLag + l never wraps. Blocks of F = 4·(2·maxLag+1) rounded up to a
 * power of two stay in cache, which is several times faster than one FFT of the whole file.
 */
export function crossCorrelation(ref: Float32Array, deg: Float32Array, maxLag: number): Float64Array {
  const span = 2 * maxLag;
  const size = Math.max(16, Math.min(nextPowerOfTwo(ref.length + span + 1), nextPowerOfTwo(4 * (span + 1))));
  const block = size - span;
  const fft = new RealFft(size);
  const R = new Float64Array(2 * size);
  const D = new Float64Array(2 * size);
  const rBuf = new Float64Array(size);
  const dBuf = new Float64Array(size);
  const c = new Float64Array(span + 1);
  const half = size / 2;
  for (let b = 0; b < ref.length; b += block) {
    const rEnd = Math.min(ref.length, b + block);
    rBuf.fill(0);
    for (let i = b; i < rEnd; i++) rBuf[i - b] = ref[i];
    dBuf.fill(0);
    const d0 = b - maxLag;
    const dLo = Math.max(0, d0);
    const dHi = Math.min(deg.length, b + block + maxLag);
    for (let k = dLo; k < dHi; k++) dBuf[k - d0] = deg[k];
    fft.forward(rBuf, R);
    fft.forward(dBuf, D);
    // C_k = conj(R_k)·D_k on bins 0..size/2; the upper half by Hermitian symmetry.
    for (let k = 0; k <= half; k++) {
      const rr = R[2 * k], ri = R[2 * k + 1], dr = D[2 * k], di = D[2 * k + 1];
      R[2 * k] = rr * dr + ri * di;
      R[2 * k + 1] = rr * di - ri * dr;
    }
    for (let k = half + 1; k < size; k++) {
      R[2 * k] = R[2 * (size - k)];
      R[2 * k + 1] = -R[2 * (size - k) + 1];
    }
    fft.inverse(R, D);
    for (let t = 0; t <= span; t++) c[t] += D[2 * t];
  }
  return c;
}

/**
 * Lag in samples (|lag| ≤ maxLagMs) maximising Σ_n ref[n]·deg[n+lag]; 0 when either signal
 * is all zeros.
 */
export function findLag(ref: Float32Array, deg: Float32Array, sampleRate: number, maxLagMs = DEFAULT_MAX_LAG_MS): number {
  if (!(sampleRate > 0)) throw new RangeError(`findLag: bad sample rate ${sampleRate}`);
  if (!(maxLagMs >= 0)) throw new RangeError(`findLag: bad maximum lag ${maxLagMs} ms`);
  const maxLag = Math.round((maxLagMs * sampleRate) / 1000);
  const scale = Math.sqrt(energy(ref) * energy(deg));
  if (!(scale > 0)) return 0;
  const c = crossCorrelation(ref, deg, maxLag);
  let best = -Infinity;
  for (let i = 0; i < c.length; i++) if (c[i] > best) best = c[i];
  // FFT rounding is ~1e-13 of the energy scale; anything that close is checked exactly.
  const tol = 1e-9 * scale;
  let bestLag = 0;
  let bestExact = -Infinity;
  for (let i = 0; i < c.length; i++) {
    if (c[i] < best - tol) continue;
    const lag = i - maxLag;
    const exact = directCorrelation(ref, deg, lag);
    if (exact > bestExact) {
      bestExact = exact;
      bestLag = lag;
    }
  }
  return bestLag;
}

export interface AlignedPair {
  ref: Float32Array;
  deg: Float32Array;
}

/**
 * How applyLag handles the |lag| samples at one edge that only one file has:
 *  - 'reference' (default): keep the reference's time axis; deg'[n] = deg[n + lag], with zeros
 *    where the degraded file has no sample; both end at the shorter file's length. This is
 *    the convention the values in shared/reference/pairs.tsv were computed with (it
 *    reproduces every aligned STOI/ESTOI to 1e-6 and pSNR to 1e-4 dB; strict trimming moves
 *    them by up to 2e-4 and 2e-4 dB).
 *  - 'overlap': keep only the span where both files have samples.
 */
export type LagEdgeMode = 'reference' | 'overlap';

/** The two equal-length segments that `lag` (from findLag) puts side by side. */
export function applyLag(ref: Float32Array, deg: Float32Array, lag: number, mode: LagEdgeMode = 'reference'): AlignedPair {
  if (!Number.isInteger(lag)) throw new RangeError(`applyLag: lag must be an integer, got ${lag}`);
  if (mode === 'overlap') {
    const r0 = Math.max(0, -lag);
    const r1 = Math.max(r0, Math.min(ref.length, deg.length - lag));
    return { ref: ref.slice(r0, r1), deg: deg.slice(r0 + lag, r1 + lag) };
  }
  const len = Math.min(ref.length, deg.length);
  const out = new Float32Array(len);
  const n0 = Math.min(len, Math.max(0, -lag));
  const n1 = Math.max(n0, Math.min(len, deg.length - lag));
  out.set(deg.subarray(n0 + lag, n1 + lag), n0);
  return { ref: ref.slice(0, len), deg: out };
}
