/**
 * Rational-ratio polyphase resampler that reproduces Octave's `resample(x, p, q)` as the
 * reference STOI implementation uses it (shared/reference/README.md): a Kaiser-windowed
 * ideal low-pass with 60 dB rejection, cut-off f_c = 1/(2·max(p, q)) (in cycles per
 * up-sampled sample), roll-off width f_c/10, half-length L = ceil((60 − 8)/(28.714·roll-off)),
 * Kaiser β = 0.1102·(60 − 8.7), normalised to unit sum and scaled by p (so DC passes at
 * unit gain). The output sample m is centred on input time m·q/p:
 *   y[m] = Σ_j x[j]·h[m·q + L − j·p],  m = 0 … ceil(n·p/q) − 1.
 * This is also what SciPy's resample_poly computes for an explicit odd-length window.
 */

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; fine for x ≤ 50). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

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

interface Polyphase {
  /** rev[φ][t]: taps h[φ + p·i] in reverse order (i descending), so the dot product runs forward over x. */
  rev: Float64Array[];
  /** Largest i with φ + p·i ≤ 2L, per phase φ. */
  top: Int32Array;
}

const polyphaseCache = new Map<string, Polyphase>();

function polyphase(p: number, q: number): Polyphase {
  const key = `${p}/${q}`;
  const cached = polyphaseCache.get(key);
  if (cached) return cached;
  const h = octaveResampleFilter(p, q);
  const rev: Float64Array[] = [];
  const top = new Int32Array(p);
  for (let phase = 0; phase < p; phase++) {
    const count = Math.floor((h.length - 1 - phase) / p) + 1;
    const r = new Float64Array(count);
    for (let i = 0; i < count; i++) r[count - 1 - i] = h[phase + p * i];
    rev.push(r);
    top[phase] = count - 1;
  }
  const pp = { rev, top };
  polyphaseCache.set(key, pp);
  return pp;
}

/** Resample x from rate `fromRate` to `toRate` (integers) as Octave's resample does. */
export function resampleOctave(x: ArrayLike<number>, toRate: number, fromRate: number): Float64Array {
  if (!Number.isInteger(toRate) || !Number.isInteger(fromRate) || toRate <= 0 || fromRate <= 0) {
    throw new RangeError(`resampleOctave: rates must be positive integers, got ${fromRate} → ${toRate}`);
  }
  const g = gcd(toRate, fromRate);
  const p = toRate / g;
  const q = fromRate / g;
  const n = x.length;
  if (p === 1 && q === 1) return Float64Array.from(x);
  const L = (octaveResampleFilter(p, q).length - 1) / 2;
  const { rev, top } = polyphase(p, q);
  const xs = x instanceof Float64Array ? x : Float64Array.from(x);
  const outLen = Math.ceil((n * p) / q);
  const y = new Float64Array(outLen);
  for (let m = 0; m < outLen; m++) {
    // Taps h[c − j·p] for j with 0 ≤ c − j·p ≤ 2L: with φ = c mod p and J0 = (c − φ)/p,
    // j = J0 − i for i = 0..top[φ], i.e. j ∈ [J0 − top, J0]; rev[φ] runs over that j range forward.
    const c = m * q + L;
    const phase = c % p;
    const j0 = (c - phase) / p;
    const r = rev[phase];
    const jFirst = j0 - top[phase];
    const jLo = Math.max(0, jFirst);
    const jHi = Math.min(n - 1, j0);
    // Four partial sums: independent dependency chains run about twice as fast.
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let j = jLo;
    let t = jLo - jFirst;
    for (; j + 3 <= jHi; j += 4, t += 4) {
      a0 += xs[j] * r[t];
      a1 += xs[j + 1] * r[t + 1];
      a2 += xs[j + 2] * r[t + 2];
      a3 += xs[j + 3] * r[t + 3];
    }
    for (; j <= jHi; j++, t++) a0 += xs[j] * r[t];
    y[m] = a0 + a1 + (a2 + a3);
  }
  return y;
}

/**
 * resampleOctave of two equal-length signals in one pass (each tap is loaded once for both):
 * identical results, about a third less time than two calls. STOI resamples its pair this way.
 */
export function resampleOctavePair(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  toRate: number,
  fromRate: number,
): [Float64Array, Float64Array] {
  if (x.length !== y.length) throw new RangeError(`resampleOctavePair: lengths differ (${x.length} and ${y.length})`);
  if (!Number.isInteger(toRate) || !Number.isInteger(fromRate) || toRate <= 0 || fromRate <= 0) {
    throw new RangeError(`resampleOctave: rates must be positive integers, got ${fromRate} → ${toRate}`);
  }
  const g = gcd(toRate, fromRate);
  const p = toRate / g;
  const q = fromRate / g;
  const n = x.length;
  if (p === 1 && q === 1) return [Float64Array.from(x), Float64Array.from(y)];
  const L = (octaveResampleFilter(p, q).length - 1) / 2;
  const { rev, top } = polyphase(p, q);
  const xs = x instanceof Float64Array ? x : Float64Array.from(x);
  const ys = y instanceof Float64Array ? y : Float64Array.from(y);
  const outLen = Math.ceil((n * p) / q);
  const ox = new Float64Array(outLen);
  const oy = new Float64Array(outLen);
  for (let m = 0; m < outLen; m++) {
    const c = m * q + L;
    const phase = c % p;
    const j0 = (c - phase) / p;
    const r = rev[phase];
    const jFirst = j0 - top[phase];
    const jLo = Math.max(0, jFirst);
    const jHi = Math.min(n - 1, j0);
    let a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    let j = jLo;
    let t = jLo - jFirst;
    for (; j + 1 <= jHi; j += 2, t += 2) {
      const h0 = r[t], h1 = r[t + 1];
      a0 += xs[j] * h0;
      b0 += ys[j] * h0;
      a1 += xs[j + 1] * h1;
      b1 += ys[j + 1] * h1;
    }
    for (; j <= jHi; j++, t++) {
      a0 += xs[j] * r[t];
      b0 += ys[j] * r[t];
    }
    ox[m] = a0 + a1;
    oy[m] = b0 + b1;
  }
  return [ox, oy];
}
