/**
 * Perceptual weights from the quantized envelope (DESIGN §1 "Perceptual model" and "Measured
 * starting point" item 1): an order-16 LPC of the tilt-compensated power spectrum
 * s_k·|1 − 0.95 e^{−jω_k}|² (r[0] × 1.0001, 60 Hz Gaussian lag window), then
 * w_k = |A(e^{jω_k}/0.85)|, normalised to a geometric mean of 1 per frame.
 *
 * Encoder and decoder both call this on s = B·exp(ê), so nothing extra is sent. Every
 * transcendental here (twiddles, tilt, lag window, geometric-mean log/exp) is the portable one
 * (dsp/portable-math.ts): the weights feed the scale indices, so they must not depend on an
 * engine's Math.cos/exp/log (issue 5 "Determinism", audit in docs/bitstream.md).
 */
import { gaussianLagWindow, levinson, levinsonInto } from '../dsp/lpc.js';
import { portableCos, portableExp, portableSin, portableSumLog } from '../dsp/portable-math.js';

export const WEIGHT_TILT = 0.95;
export const WEIGHT_GAMMA = 0.85;
export const WEIGHT_LPC_ORDER = 16;
export const WEIGHT_LAG_WINDOW_HZ = 60;
export const WEIGHT_WHITE_NOISE = 1e-4;

const tiltCache = new Map<string, Float64Array>();

/** The weighting's two parameters: LPC of s·|1 − tilt·e^{−jω}|², evaluated at z/gamma. */
export interface WeightingParams { gamma: number; tilt: number }
export const DEFAULT_WEIGHTING: Readonly<WeightingParams> = { gamma: WEIGHT_GAMMA, tilt: WEIGHT_TILT };
const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

/** The 60 Hz Gaussian lag window (its exp is the portable one). */
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
        t.cos[(i - 1) * n + k] = portableCos(w);
        t.sin[(i - 1) * n + k] = portableSin(w);
      }
    }
    twiddleCache.set(n, t);
  }
  return t;
}

const kMajorCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();
/** The same twiddles k-major: entry k·order + (i − 1), so one bin's 16 values are contiguous. */
function twiddlesByBin(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = kMajorCache.get(n);
  if (!t) {
    const p = WEIGHT_LPC_ORDER;
    const src = twiddles(n);
    t = { cos: new Float64Array(p * n), sin: new Float64Array(p * n) };
    for (let i = 0; i < p; i++) {
      for (let k = 0; k < n; k++) {
        t.cos[k * p + i] = src.cos[i * n + k];
        t.sin[k * p + i] = src.sin[i * n + k];
      }
    }
    kMajorCache.set(n, t);
  }
  return t;
}

/** |1 − μ e^{−jω_k}|² at the MDCT bin centres ω_k = π(k + ½)/n. */
function tiltResponse(n: number, mu: number): Float64Array {
  const key = `${n}:${mu}`;
  let t = tiltCache.get(key);
  if (!t) {
    t = new Float64Array(n);
    for (let k = 0; k < n; k++) t[k] = 1 + mu * mu - 2 * mu * portableCos((Math.PI * (k + 0.5)) / n);
    tiltCache.set(key, t);
  }
  return t;
}

interface Scratch { p: Float64Array; re: Float64Array; im: Float64Array; acc: Float64Array; coef: Float64Array; r: Float64Array; lpc: Float64Array; prev: Float64Array }
let scratch: Scratch | null = null;
/** Reused work arrays (single-threaded; no call re-enters). */
function scratchFor(n: number): Scratch {
  if (!scratch || scratch.p.length !== n) {
    const P = WEIGHT_LPC_ORDER;
    scratch = {
      p: new Float64Array(n), re: new Float64Array(n), im: new Float64Array(n), acc: new Float64Array(P), coef: new Float64Array(P),
      r: new Float64Array(P + 1), lpc: new Float64Array(P + 1), prev: new Float64Array(P + 1),
    };
  }
  return scratch;
}

/** Weights w (length s.length, geometric mean 1) from the per-bin variance s. */
export function perceptualWeights(s: ArrayLike<number>, out?: Float64Array, params: Readonly<WeightingParams> = DEFAULT_WEIGHTING): Float64Array {
  const n = s.length;
  const tilt = tiltResponse(n, params.tilt);
  // Autocorrelation of the tilted power spectrum, r[i] = (1/n) Σ_k p_k cos(iω_k), then the
  // 60 Hz lag window and r[0] × 1.0001 — what lpcFromPowerSpectrum does, with cached cosines.
  // Symmetry halves both O(n·order) loops (n even): ω_{n−1−k} = π − ω_k, so
  // cos(iω_{n−1−k}) = (−1)^i cos(iω_k) and sin(iω_{n−1−k}) = −(−1)^i sin(iω_k).
  if (n % 2 !== 0) return perceptualWeightsDirect(s, out, params);
  const half = n >> 1;
  const sc = scratchFor(n);
  const r = sc.r;
  const p = sc.p;
  let r0 = 0;
  for (let k = 0; k < n; k++) {
    p[k] = s[k] * tilt[k];
    r0 += p[k];
  }
  // p⁺_k = p_k + p_{n−1−k} (even lags), p⁻_k = p_k − p_{n−1−k} (odd lags), k < n/2.
  const pe = sc.re;
  const po = sc.im;
  for (let k = 0; k < half; k++) {
    const a = p[k];
    const b = p[n - 1 - k];
    pe[k] = a + b;
    po[k] = a - b;
  }
  r[0] = (r0 / n) * (1 + WEIGHT_WHITE_NOISE);
  // Bin-major loops over the k-major twiddles (each lag's sum still runs over k in increasing
  // order, so the values are those of the lag-major form; the sums stay in locals/L1).
  const P = WEIGHT_LPC_ORDER;
  const tk = twiddlesByBin(n);
  const ck = tk.cos;
  const sk = tk.sin;
  const racc = sc.acc.fill(0);
  if (P === 16) {
    // The same sums with the 16 accumulators in locals (odd lags from p⁻, even from p⁺).
    let a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
    let a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0, a16 = 0;
    for (let k = 0, o = 0; k < half; k++, o += 16) {
      const ev = pe[k];
      const od = po[k];
      a1 += od * ck[o]; a2 += ev * ck[o + 1]; a3 += od * ck[o + 2]; a4 += ev * ck[o + 3];
      a5 += od * ck[o + 4]; a6 += ev * ck[o + 5]; a7 += od * ck[o + 6]; a8 += ev * ck[o + 7];
      a9 += od * ck[o + 8]; a10 += ev * ck[o + 9]; a11 += od * ck[o + 10]; a12 += ev * ck[o + 11];
      a13 += od * ck[o + 12]; a14 += ev * ck[o + 13]; a15 += od * ck[o + 14]; a16 += ev * ck[o + 15];
    }
    racc[0] = a1; racc[1] = a2; racc[2] = a3; racc[3] = a4; racc[4] = a5; racc[5] = a6; racc[6] = a7; racc[7] = a8;
    racc[8] = a9; racc[9] = a10; racc[10] = a11; racc[11] = a12; racc[12] = a13; racc[13] = a14; racc[14] = a15; racc[15] = a16;
  } else {
    for (let k = 0; k < half; k++) {
      const ev = pe[k];
      const od = po[k];
      const o = k * P;
      for (let i = 0; i < P; i += 2) {
        racc[i] += od * ck[o + i]; // lag i + 1 (odd)
        racc[i + 1] += ev * ck[o + i + 1]; // lag i + 2 (even)
      }
    }
  }
  for (let i = 1; i <= P; i++) r[i] = (racc[i - 1] / n) * lagWindow[i];
  levinsonInto(r, WEIGHT_LPC_ORDER, sc.lpc, sc.prev);
  const a = sc.lpc;
  // |A(e^{jω}/γ)|² with A = 1 + Σ c_i e^{−jiω}, c_i = a_i γ^i: split into even- and odd-i sums
  // E, O; then Re A(ω_k) = 1 + Ec + Oc, Re A(π − ω_k) = 1 + Ec − Oc,
  // Im A(ω_k) = −(Es + Os), Im A(π − ω_k) = Es − Os.
  const c = sc.coef.fill(0);
  let g = 1;
  for (let i = 1; i < a.length && i <= P; i++) {
    g *= params.gamma;
    c[i - 1] = a[i] * g;
  }
  const res = out ?? new Float64Array(n);
  if (P === 16) {
    weightsAtBins16(c, ck, sk, half, n, res);
    return normaliseGeometricMean(res);
  }
  for (let k = 0; k < half; k++) {
    const o = k * P;
    let ecs = 0;
    let ocs = 0;
    let ess = 0;
    let oss = 0;
    for (let i = 0; i < P; i += 2) {
      ocs += c[i] * ck[o + i];
      oss += c[i] * sk[o + i];
      ecs += c[i + 1] * ck[o + i + 1];
      ess += c[i + 1] * sk[o + i + 1];
    }
    const e1 = 1 + ecs;
    const reA = e1 + ocs;
    const imA = ess + oss;
    const reB = e1 - ocs;
    const imB = ess - oss;
    res[k] = reA * reA + imA * imA;
    res[n - 1 - k] = reB * reB + imB * imB;
  }
  return normaliseGeometricMean(res);
}

/**
 * |A(e^{jω_k}/γ)|² for order 16: the loop of perceptualWeights unrolled with the coefficients in
 * locals (same products, same summation order, so the same values).
 */
function weightsAtBins16(c: Float64Array, ck: Float64Array, sk: Float64Array, half: number, n: number, res: Float64Array): void {
  const c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5], c6 = c[6], c7 = c[7];
  const c8 = c[8], c9 = c[9], c10 = c[10], c11 = c[11], c12 = c[12], c13 = c[13], c14 = c[14], c15 = c[15];
  let k = 0;
  // Two bins per iteration (eight independent chains of additions, each in coefficient order).
  for (let o = 0; k + 1 < half; k += 2, o += 32) {
    let ocs = c0 * ck[o];
    let oss = c0 * sk[o];
    let ecs = c1 * ck[o + 1];
    let ess = c1 * sk[o + 1];
    let ocs2 = c0 * ck[o + 16];
    let oss2 = c0 * sk[o + 16];
    let ecs2 = c1 * ck[o + 17];
    let ess2 = c1 * sk[o + 17];
    ocs += c2 * ck[o + 2]; oss += c2 * sk[o + 2]; ecs += c3 * ck[o + 3]; ess += c3 * sk[o + 3];
    ocs2 += c2 * ck[o + 18]; oss2 += c2 * sk[o + 18]; ecs2 += c3 * ck[o + 19]; ess2 += c3 * sk[o + 19];
    ocs += c4 * ck[o + 4]; oss += c4 * sk[o + 4]; ecs += c5 * ck[o + 5]; ess += c5 * sk[o + 5];
    ocs2 += c4 * ck[o + 20]; oss2 += c4 * sk[o + 20]; ecs2 += c5 * ck[o + 21]; ess2 += c5 * sk[o + 21];
    ocs += c6 * ck[o + 6]; oss += c6 * sk[o + 6]; ecs += c7 * ck[o + 7]; ess += c7 * sk[o + 7];
    ocs2 += c6 * ck[o + 22]; oss2 += c6 * sk[o + 22]; ecs2 += c7 * ck[o + 23]; ess2 += c7 * sk[o + 23];
    ocs += c8 * ck[o + 8]; oss += c8 * sk[o + 8]; ecs += c9 * ck[o + 9]; ess += c9 * sk[o + 9];
    ocs2 += c8 * ck[o + 24]; oss2 += c8 * sk[o + 24]; ecs2 += c9 * ck[o + 25]; ess2 += c9 * sk[o + 25];
    ocs += c10 * ck[o + 10]; oss += c10 * sk[o + 10]; ecs += c11 * ck[o + 11]; ess += c11 * sk[o + 11];
    ocs2 += c10 * ck[o + 26]; oss2 += c10 * sk[o + 26]; ecs2 += c11 * ck[o + 27]; ess2 += c11 * sk[o + 27];
    ocs += c12 * ck[o + 12]; oss += c12 * sk[o + 12]; ecs += c13 * ck[o + 13]; ess += c13 * sk[o + 13];
    ocs2 += c12 * ck[o + 28]; oss2 += c12 * sk[o + 28]; ecs2 += c13 * ck[o + 29]; ess2 += c13 * sk[o + 29];
    ocs += c14 * ck[o + 14]; oss += c14 * sk[o + 14]; ecs += c15 * ck[o + 15]; ess += c15 * sk[o + 15];
    ocs2 += c14 * ck[o + 30]; oss2 += c14 * sk[o + 30]; ecs2 += c15 * ck[o + 31]; ess2 += c15 * sk[o + 31];
    let e1 = 1 + ecs;
    let reA = e1 + ocs;
    let imA = ess + oss;
    let reB = e1 - ocs;
    let imB = ess - oss;
    res[k] = reA * reA + imA * imA;
    res[n - 1 - k] = reB * reB + imB * imB;
    e1 = 1 + ecs2;
    reA = e1 + ocs2;
    imA = ess2 + oss2;
    reB = e1 - ocs2;
    imB = ess2 - oss2;
    res[k + 1] = reA * reA + imA * imA;
    res[n - 2 - k] = reB * reB + imB * imB;
  }
  for (let o = k * 16; k < half; k++, o += 16) {
    let ocs = c0 * ck[o];
    let oss = c0 * sk[o];
    let ecs = c1 * ck[o + 1];
    let ess = c1 * sk[o + 1];
    ocs += c2 * ck[o + 2]; oss += c2 * sk[o + 2]; ecs += c3 * ck[o + 3]; ess += c3 * sk[o + 3];
    ocs += c4 * ck[o + 4]; oss += c4 * sk[o + 4]; ecs += c5 * ck[o + 5]; ess += c5 * sk[o + 5];
    ocs += c6 * ck[o + 6]; oss += c6 * sk[o + 6]; ecs += c7 * ck[o + 7]; ess += c7 * sk[o + 7];
    ocs += c8 * ck[o + 8]; oss += c8 * sk[o + 8]; ecs += c9 * ck[o + 9]; ess += c9 * sk[o + 9];
    ocs += c10 * ck[o + 10]; oss += c10 * sk[o + 10]; ecs += c11 * ck[o + 11]; ess += c11 * sk[o + 11];
    ocs += c12 * ck[o + 12]; oss += c12 * sk[o + 12]; ecs += c13 * ck[o + 13]; ess += c13 * sk[o + 13];
    ocs += c14 * ck[o + 14]; oss += c14 * sk[o + 14]; ecs += c15 * ck[o + 15]; ess += c15 * sk[o + 15];
    const e1 = 1 + ecs;
    const reA = e1 + ocs;
    const imA = ess + oss;
    const reB = e1 - ocs;
    const imB = ess - oss;
    res[k] = reA * reA + imA * imA;
    res[n - 1 - k] = reB * reB + imB * imB;
  }
}

/**
 * w_k = sqrt(p2_k / exp(mean log p2)): geometric mean 1. Σ log p2 is taken as the log of the
 * product with exponent bookkeeping (portableSumLog): one log per frame instead of 320.
 */
function normaliseGeometricMean(res: Float64Array): Float64Array {
  const n = res.length;
  const norm = portableExp(-portableSumLog(res, n) / n);
  for (let i = 0; i < n; i++) res[i] = Math.sqrt(res[i] * norm);
  return res;
}

/** The same weights without the symmetry split (odd n only). */
function perceptualWeightsDirect(s: ArrayLike<number>, out: Float64Array | undefined, params: Readonly<WeightingParams>): Float64Array {
  const n = s.length;
  const tilt = tiltResponse(n, params.tilt);
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
  const re = sc.re.fill(1);
  const im = sc.im.fill(0);
  let g = 1;
  for (let i = 1; i < a.length; i++) {
    g *= params.gamma;
    const c = a[i] * g;
    if (c === 0) continue;
    const o = (i - 1) * n;
    for (let k = 0; k < n; k++) {
      re[k] += c * cos[o + k];
      im[k] -= c * sin[o + k];
    }
  }
  const res = out ?? new Float64Array(n);
  for (let k = 0; k < n; k++) res[k] = re[k] * re[k] + im[k] * im[k];
  return normaliseGeometricMean(res);
}
