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
  const h = octaveResampleFilter(p, q);
  const L = (h.length - 1) / 2;
  const outLen = Math.ceil((n * p) / q);
  const y = new Float64Array(outLen);
  for (let m = 0; m < outLen; m++) {
    const c = m * q + L; // h index for j = 0
    // Need 0 ≤ c − j·p ≤ 2L and 0 ≤ j < n.
    const jLo = Math.max(0, Math.ceil((c - 2 * L) / p));
    const jHi = Math.min(n - 1, Math.floor(c / p));
    let acc = 0;
    for (let j = jLo, k = c - jLo * p; j <= jHi; j++, k -= p) acc += x[j] * h[k];
    y[m] = acc;
  }
  return y;
}
