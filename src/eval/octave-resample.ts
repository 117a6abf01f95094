/**
 * Rational-ratio polyphase resampler that reproduces Octave's `resample(x, p, q)` as the
 * reference STOI implementation uses it (shared/reference/README.md): a Kaiser-windowed
 * ideal low-pass with 60 dB rejection, cut-off f_c = 1/(2·max(p, q)) (in cycles per
 * up-sampled sample), roll-off width f_c/10, half-length L = ceil((60 − 8)/(28.714·roll-off)),
 * Kaiser β = 0.1102·(60 − 8.7), normalised to unit sum and scaled by p (so DC passes at
 * unit gain). The output sample m is centred on input time m·q/p:
 *   y[m] = Σ_j x[j]·h[m·q + L − j·p],  m = 0 … ceil(n·p/q) − 1.
 * This is also what SciPy's resample_poly computes for an explicit odd-length window.
 * The filtering runs on the project's polyphase engine (src/dsp/polyphase-resampler.ts) with
 * this design's table (polyphaseFromFir); only the filter design lives here.
 */

import {
  besselI0,
  gcd,
  polyphaseFromFir,
  resamplePolyphaseInto,
  resamplePolyphasePairInto,
  type PolyphaseFilter,
} from '../dsp/polyphase-resampler.js';

/** I0 (power series), shared with the polyphase engine's own design. */
export { besselI0 };

/** Kaiser window of length m: I0(β·sqrt(1 − (2n/(m−1) − 1)²)) / I0(β). */
export function kaiserWindow(m: number, beta: number): Float64Array {
  const w = new Float64Array(m);
  if (m === 1) {
    w[0] = 1;
    return w;
  }
  const denom = besselI0(beta);
  for (let n = 0; n < m; n++) {
    const r = (2 * n) / (m - 1) - 1;
    w[n] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / denom;
  }
  return w;
}

const filterCache = new Map<string, Float64Array>();

/**
 * The anti-aliasing filter for resampling by p/q (p, q coprime), already scaled by p.
 * Length 2L + 1.
 */
export function octaveResampleFilter(p: number, q: number): Float64Array {
  const key = `${p}/${q}`;
  const cached = filterCache.get(key);
  if (cached) return cached;
  const rejectionDb = 60;
  const fc = 1 / (2 * Math.max(p, q));
  const rollOff = fc / 10;
  const L = Math.ceil((rejectionDb - 8) / (28.714 * rollOff));
  const beta = 0.1102 * (rejectionDb - 8.7);
  const win = kaiserWindow(2 * L + 1, beta);
  const h = new Float64Array(2 * L + 1);
  let sum = 0;
  for (let i = 0; i <= 2 * L; i++) {
    const t = i - L;
    const arg = 2 * fc * t;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
    h[i] = win[i] * 2 * p * fc * sinc;
    sum += h[i];
  }
  for (let i = 0; i < h.length; i++) h[i] *= p / sum;
  filterCache.set(key, h);
  return h;
}

const tableCache = new Map<string, PolyphaseFilter>();

/** The filter as a table for the project's polyphase engine: output m sits at up-sampled position m·q + L. */
function octaveTable(p: number, q: number): PolyphaseFilter {
  const key = `${p}/${q}`;
  let t = tableCache.get(key);
  if (!t) {
    const h = octaveResampleFilter(p, q);
    t = polyphaseFromFir(h, p, q, (h.length - 1) / 2, `octave:${key}`);
    tableCache.set(key, t);
  }
  return t;
}

function ratio(toRate: number, fromRate: number): { p: number; q: number } {
  if (!Number.isInteger(toRate) || !Number.isInteger(fromRate) || toRate <= 0 || fromRate <= 0) {
    throw new RangeError(`resampleOctave: rates must be positive integers, got ${fromRate} → ${toRate}`);
  }
  const g = gcd(toRate, fromRate);
  return { p: toRate / g, q: fromRate / g };
}

/** Resample x from rate `fromRate` to `toRate` (integers) as Octave's resample does. */
export function resampleOctave(x: ArrayLike<number>, toRate: number, fromRate: number): Float64Array {
  const { p, q } = ratio(toRate, fromRate);
  if (p === 1 && q === 1) return Float64Array.from(x);
  const y = new Float64Array(Math.ceil((x.length * p) / q));
  resamplePolyphaseInto(x, octaveTable(p, q), y);
  return y;
}

/**
 * resampleOctave of two equal-length signals in one pass (each tap is loaded once for both):
 * the same results up to summation order, less time than two calls. STOI resamples its pair this way.
 */
export function resampleOctavePair(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  toRate: number,
  fromRate: number,
): [Float64Array, Float64Array] {
  if (x.length !== y.length) throw new RangeError(`resampleOctavePair: lengths differ (${x.length} and ${y.length})`);
  const { p, q } = ratio(toRate, fromRate);
  if (p === 1 && q === 1) return [Float64Array.from(x), Float64Array.from(y)];
  const len = Math.ceil((x.length * p) / q);
  const ox = new Float64Array(len);
  const oy = new Float64Array(len);
  resamplePolyphasePairInto(x, y, octaveTable(p, q), ox, oy);
  return [ox, oy];
}
