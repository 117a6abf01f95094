/**
 * Power-of-two real FFTs for PESQ (fft.js underneath), with the packing the algorithm's
 * descriptions use: bin k of an n-point transform at [2k, 2k + 1], k = 0 … n/2.
 * Plans are cached per size because PESQ runs thousands of 512- and 1024-point transforms.
 * The inverse runs as one n/2-point complex transform of the even and odd samples.
 */
import FFT from 'fft.js';
import { nextPowerOfTwo } from '../real-fft.js';

export { nextPowerOfTwo };

interface Plan {
  fft: FFT;
  half: FFT;
  full: Float64Array;
  z: Float64Array;
  zOut: Float64Array;
  /** Interleaved complex input of pairForward. */
  pairIn: Float64Array;
  /** Cross-spectrum scratch, bins 0 … n/2. */
  cross: Float64Array;
  /** e^{+j2πk/n}, k < n/2, interleaved. */
  twiddle: Float64Array;
}

const plans = new Map<number, Plan>();

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p === undefined) {
    if (n < 4 || (n & (n - 1)) !== 0) throw new RangeError(`PESQ FFT: size must be a power of two ≥ 4, got ${n}`);
    const m = n / 2;
    const twiddle = new Float64Array(n);
    for (let k = 0; k < m; k++) {
      twiddle[2 * k] = Math.cos((2 * Math.PI * k) / n);
      twiddle[2 * k + 1] = Math.sin((2 * Math.PI * k) / n);
    }
    p = {
      fft: new FFT(n),
      half: new FFT(m),
      full: new Float64Array(2 * n),
      z: new Float64Array(n),
      zOut: new Float64Array(n),
      pairIn: new Float64Array(2 * n),
      cross: new Float64Array(n + 2),
      twiddle,
    };
    plans.set(n, p);
  }
  return p;
}

/**
 * Scratch arrays of one size kept between calls (PESQ runs hundreds of envelope correlations
 * and a few multi-megabyte filters per score; reusing them keeps the garbage collector idle).
 * `key` names the use, so two users of one size never share a buffer.
 */
const scratchPool = new Map<string, Float64Array>();
export function scratch(key: string, length: number): Float64Array {
  const k = `${key}:${length}`;
  let a = scratchPool.get(k);
  if (a === undefined) {
    a = new Float64Array(length);
    scratchPool.set(k, a);
  }
  return a;
}

/**
 * The even/odd packing of the inverse of a Hermitian spectrum X (bins 0 … n/2 at [2k, 2k + 1];
 * the imaginary parts of bins 0 and n/2 do not reach the real output), conjugated, unscaled:
 * with e, o the even and odd samples of x = IDFT(X), m = n/2,
 * E[k] = (X[k] + X*[m−k])/2, O[k] = (X[k] − X*[m−k])·e^{j2πk/n}/2, and
 * the m-point forward DFT of zp = conj(2·(E + j·O)) is n·(e − j·o): real parts n·e, imaginary
 * parts −n·o.
 */
function packInverse(spec: Float64Array, m: number, tw: Float64Array, zp: Float64Array): void {
  for (let k = 0; k < m; k++) {
    const xr = spec[2 * k];
    const xi = k === 0 ? 0 : spec[2 * k + 1];
    const yr = spec[2 * (m - k)];
    const yi = k === 0 ? 0 : -spec[2 * (m - k) + 1];
    const er = xr + yr;
    const ei = xi + yi;
    const dr = xr - yr;
    const di = xi - yi;
    const c = tw[2 * k];
    const sn = tw[2 * k + 1];
    const or = dr * c - di * sn;
    const oi = dr * sn + di * c;
    zp[2 * k] = er - oi;
    zp[2 * k + 1] = -(ei + or);
  }
}

/**
 * Inverse DFT with 1/n scaling of a Hermitian spectrum given by its bins 0 … n/2 (as packed by
 * pairForward), into out[0 … n): one n/2-point complex transform (packInverse).
 */
export function realInverse(n: number, spec: Float64Array, out: Float64Array): void {
  const p = plan(n);
  packInverse(spec, n / 2, p.twiddle, p.z);
  const zo = p.zOut;
  p.half.transform(zo, p.z);
  for (let i = 0; i < n; i += 2) {
    out[i] = zo[i] / n;
    out[i + 1] = -zo[i + 1] / n;
  }
}

/**
 * Forward DFTs of two real signals in one complex transform of a + j·b:
 * A[k] = (Z[k] + Z*[n−k])/2, B[k] = (Z[k] − Z*[n−k])/2j. Each input is
 * x[offset … offset + count) times `window` (when given), zero-padded to n; outputs are
 * spec[0 … n + 2): bins 0 … n/2 of the unscaled DFT (e^{−j2πkn/N}) as (re, im).
 */
export function pairForward(
  n: number,
  a: Float32Array, aOffset: number, aCount: number,
  b: Float32Array, bOffset: number, bCount: number,
  window: Float32Array | null,
  specA: Float64Array, specB: Float64Array,
): void {
  const p = plan(n);
  const z = p.pairIn;
  const am = Math.min(aCount, n);
  const bm = Math.min(bCount, n);
  if (window === null) {
    for (let i = 0; i < am; i++) z[2 * i] = a[aOffset + i];
    for (let i = 0; i < bm; i++) z[2 * i + 1] = b[bOffset + i];
  } else {
    for (let i = 0; i < am; i++) z[2 * i] = a[aOffset + i] * window[i];
    for (let i = 0; i < bm; i++) z[2 * i + 1] = b[bOffset + i] * window[i];
  }
  for (let i = am; i < n; i++) z[2 * i] = 0;
  for (let i = bm; i < n; i++) z[2 * i + 1] = 0;
  const out = p.full;
  p.fft.transform(out, z);
  for (let k = 0; k <= n / 2; k++) {
    const j = k === 0 ? 0 : n - k;
    const zr = out[2 * k];
    const zi = out[2 * k + 1];
    const wr = out[2 * j];
    const wi = out[2 * j + 1];
    specA[2 * k] = 0.5 * (zr + wr);
    specA[2 * k + 1] = 0.5 * (zi - wi);
    specB[2 * k] = 0.5 * (zi + wi);
    specB[2 * k + 1] = 0.5 * (wr - zr);
  }
}

/**
 * Zero-phase filtering of two real signals by one real gain per bin (gain[k], k = 0 … n/2,
 * mirrored above n/2) in one complex transform pair of a + j·b: the real part of the result is
 * a filtered, the imaginary part b filtered. Inputs as in pairForward; outputs n samples each.
 */
export function pairFilter(
  n: number,
  a: Float32Array, aOffset: number, aCount: number,
  b: Float32Array, bOffset: number, bCount: number,
  gain: Float64Array, outA: Float64Array, outB: Float64Array,
): void {
  const p = plan(n);
  const z = p.pairIn;
  z.fill(0);
  for (let i = 0, m = Math.min(aCount, n); i < m; i++) z[2 * i] = a[aOffset + i];
  for (let i = 0, m = Math.min(bCount, n); i < m; i++) z[2 * i + 1] = b[bOffset + i];
  const spec = p.full;
  p.fft.transform(spec, z);
  for (let k = 0; k <= n / 2; k++) {
    const g = gain[k];
    spec[2 * k] *= g;
    spec[2 * k + 1] *= g;
    if (k > 0 && k < n / 2) {
      spec[2 * (n - k)] *= g;
      spec[2 * (n - k) + 1] *= g;
    }
  }
  p.fft.inverseTransform(z, spec);
  for (let i = 0; i < n; i++) {
    outA[i] = z[2 * i];
    outB[i] = z[2 * i + 1];
  }
}

/**
 * |circular cross-correlation| of the windowed frames a[aOffset …] and b[bOffset …] (n samples
 * each) into out[0 … n), up to one common positive scale factor (the same for every call of a
 * size): enough where only ratios between lags and frames matter. Returns the largest value.
 * The cross-spectrum comes from one complex transform of a + j·b; the inverse is one n/2-point
 * forward transform of the conjugated even/odd packing (as in realInverse), unscaled.
 */
export function crossCorrelationMagnitude(n: number, a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, window: Float32Array, out: Float64Array): number {
  const p = plan(n);
  const m = n / 2;
  const z = p.pairIn;
  for (let i = 0; i < n; i++) {
    z[2 * i] = a[aOffset + i] * window[i];
    z[2 * i + 1] = b[bOffset + i] * window[i];
  }
  const s = p.full;
  p.fft.transform(s, z);
  // Cross-spectrum P[k] = conj(A[k])·B[k] (×4), k = 0 … m, into `cross`.
  const cross = p.cross;
  for (let k = 0; k <= m; k++) {
    const j = k === 0 ? 0 : n - k;
    const zr = s[2 * k];
    const zi = s[2 * k + 1];
    const wr = s[2 * j];
    const wi = s[2 * j + 1];
    const ar = zr + wr;
    const ai = zi - wi;
    const br = zi + wi;
    const bi = wr - zr;
    cross[2 * k] = ar * br + ai * bi;
    cross[2 * k + 1] = ar * bi - ai * br;
  }
  // Its inverse up to the common factor n (packInverse); odd samples come out negated, which
  // the magnitudes ignore.
  packInverse(cross, m, p.twiddle, p.z);
  const zo = p.zOut;
  p.half.transform(zo, p.z);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(zo[i]);
    out[i] = v;
    if (v > max) max = v;
  }
  return max;
}
