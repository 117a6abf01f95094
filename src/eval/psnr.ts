/**
 * Perceptually weighted SNR exactly as DESIGN §4 defines it (16 kHz signals):
 *  1. band-limit both signals, zero-phase, with a 4th-order Butterworth high-pass at 50 Hz
 *     and a 4th-order low-pass at 7 kHz (one cascaded forward–backward filter, see
 *     butterworth.ts for the edge handling that reproduces the reference values);
 *  2. pre-emphasise the band-limited reference with 1 − 0.68 z⁻¹ (LPC analysis only);
 *  3. per 20 ms frame j (320 samples; the last frame may be partial): 16th-order LPC of the
 *     pre-emphasised reference over a 480-sample Hann window centred on the frame,
 *     w[n] = 0.5 − 0.5 cos(2π(n+1)/481), zeros outside the signal, r[0] × 1.0001, Levinson;
 *  4. W_j(z) = A_j(z/0.92), a direct-form FIR applied over frame j's samples using the
 *     actual past input, to the band-limited reference x and to the error x − y;
 *  5. pSNR = 10 log10(Σ(W∗x)² / Σ(W∗(x−y))²), capped at 100 dB.
 */
import { UserError } from '../errors.js';
import { levinson } from '../dsp/lpc.js';
import { butterworthHighpass, butterworthLowpass, filtfilt, filtfiltPair, type Biquad } from './butterworth.js';

export const PSNR_SAMPLE_RATE = 16000;
/** Upper bound of the reported value (identical signals give exactly this). */
export const PSNR_CAP_DB = 100;
const FRAME = 320;
const LPC_WINDOW = 480;
const LPC_ORDER = 16;
const PRE_EMPHASIS = 0.68;
const WEIGHT_GAMMA = 0.92;
const WHITE_NOISE_CORRECTION = 1.0001;

let bandLimitSections: Biquad[] | undefined;
let lpcWindow: Float64Array | undefined;

/** High-pass 50 Hz then low-pass 7 kHz, both 4th order, as one cascade. */
function bandLimitFilter(): Biquad[] {
  bandLimitSections ??= [
    ...butterworthHighpass(4, 50, PSNR_SAMPLE_RATE),
    ...butterworthLowpass(4, 7000, PSNR_SAMPLE_RATE),
  ];
  return bandLimitSections;
}

function hannWindow480(): Float64Array {
  if (!lpcWindow) {
    lpcWindow = new Float64Array(LPC_WINDOW);
    for (let n = 0; n < LPC_WINDOW; n++) lpcWindow[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 1)) / (LPC_WINDOW + 1));
  }
  return lpcWindow;
}

/** Step 1: the zero-phase 50 Hz – 7 kHz band limit of a 16 kHz signal. */
export function bandLimit(x: ArrayLike<number>): Float64Array {
  return filtfilt(bandLimitFilter(), x);
}

/**
 * Σ over frame samples [start, end) of (Σ_i a_i s[n−i])², with s[m] = 0 for m < 0. The
 * 16-tap FIR is written out with its coefficients in locals: this loop is most of pSNR's time.
 */
function weightedEnergy(a: Float64Array, s: Float64Array, start: number, end: number): number {
  let acc = 0;
  let n = start;
  for (; n < end && n < LPC_ORDER; n++) {
    let v = s[n];
    for (let i = 1; i <= n; i++) v += a[i] * s[n - i];
    acc += v * v;
  }
  const a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8];
  const a9 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15], a16 = a[16];
  for (; n < end; n++) {
    const v =
      s[n] + a1 * s[n - 1] + a2 * s[n - 2] + a3 * s[n - 3] + a4 * s[n - 4] +
      (a5 * s[n - 5] + a6 * s[n - 6] + a7 * s[n - 7] + a8 * s[n - 8]) +
      (a9 * s[n - 9] + a10 * s[n - 10] + a11 * s[n - 11] + a12 * s[n - 12]) +
      (a13 * s[n - 13] + a14 * s[n - 14] + a15 * s[n - 15] + a16 * s[n - 16]);
    acc += v * v;
  }
  return acc;
}

/**
 * pSNR in dB of `deg` against `ref`: both 16 kHz, already aligned, same length.
 * Throws UserError if the lengths differ or the band-limited reference has no energy.
 */
export function psnr(ref: Float32Array, deg: Float32Array): number {
  const n = ref.length;
  if (deg.length !== n) {
    throw new UserError(`pSNR needs aligned signals of equal length (got ${n} and ${deg.length} samples)`);
  }
  if (n < 2) throw new UserError(`pSNR needs at least 2 samples, got ${n}`);
  const [x, y] = filtfiltPair(bandLimitFilter(), ref, deg);
  const err = new Float64Array(n);
  for (let i = 0; i < n; i++) err[i] = x[i] - y[i];
  const pre = new Float64Array(n);
  pre[0] = x[0];
  for (let i = 1; i < n; i++) pre[i] = x[i] - PRE_EMPHASIS * x[i - 1];

  const win = hannWindow480();
  const seg = new Float64Array(LPC_WINDOW);
  const r = new Float64Array(LPC_ORDER + 1);
  const gammaPow = new Float64Array(LPC_ORDER + 1);
  for (let i = 0, g = 1; i <= LPC_ORDER; i++, g *= WEIGHT_GAMMA) gammaPow[i] = g;
  const half = (LPC_WINDOW - FRAME) / 2;
  const frames = Math.ceil(n / FRAME);
  let signal = 0;
  let noise = 0;
  for (let j = 0; j < frames; j++) {
    const start = j * FRAME;
    const end = Math.min(start + FRAME, n);
    // Window centred on the frame: samples [start − 80, start + 400), zero outside.
    const w0 = start - half;
    for (let k = 0; k < LPC_WINDOW; k++) {
      const m = w0 + k;
      seg[k] = m >= 0 && m < n ? pre[m] * win[k] : 0;
    }
    for (let lag = 0; lag <= LPC_ORDER; lag++) {
      const len = LPC_WINDOW - lag;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k + 3 < len; k += 4) {
        s0 += seg[k] * seg[k + lag];
        s1 += seg[k + 1] * seg[k + 1 + lag];
        s2 += seg[k + 2] * seg[k + 2 + lag];
        s3 += seg[k + 3] * seg[k + 3 + lag];
      }
      for (; k < len; k++) s0 += seg[k] * seg[k + lag];
      r[lag] = s0 + s1 + (s2 + s3);
    }
    r[0] *= WHITE_NOISE_CORRECTION;
    const { a } = levinson(r, LPC_ORDER);
    for (let i = 1; i <= LPC_ORDER; i++) a[i] *= gammaPow[i];
    signal += weightedEnergy(a, x, start, end);
    noise += weightedEnergy(a, err, start, end);
  }
  if (!(signal > 0)) throw new UserError('pSNR: the reference is silent in the 50 Hz – 7 kHz band');
  if (noise === 0) return PSNR_CAP_DB;
  return Math.min(PSNR_CAP_DB, 10 * Math.log10(signal / noise));
}
