/**
 * Power-of-two real FFTs for PESQ (fft.js underneath), with the packing the algorithm's
 * descriptions use: bin k of an n-point transform at [2k, 2k + 1], k = 0 … n/2.
 * Plans are cached per size because PESQ runs thousands of 512- and 1024-point transforms.
 */
import FFT from 'fft.js';

interface Plan {
  fft: FFT;
  input: Float64Array;
  full: Float64Array;
  scratch: Float64Array;
}

const plans = new Map<number, Plan>();

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p === undefined) {
    if (n < 4 || (n & (n - 1)) !== 0) throw new RangeError(`PESQ FFT: size must be a power of two ≥ 4, got ${n}`);
    p = { fft: new FFT(n), input: new Float64Array(n), full: new Float64Array(2 * n), scratch: new Float64Array(2 * n) };
    plans.set(n, p);
  }
  return p;
}

export function nextPow2(x: number): number {
  let c = 1;
  while (c < x) c *= 2;
  return c;
}

/**
 * Forward DFT (e^{−j2πkn/N}, unscaled) of x[offset … offset + count) zero-padded to n, into
 * spec[0 … n + 2): bins 0 … n/2 as (re, im).
 */
export function realForward(n: number, x: ArrayLike<number>, offset: number, count: number, spec: Float64Array): void {
  const p = plan(n);
  const input = p.input;
  const m = Math.min(count, n);
  for (let i = 0; i < m; i++) input[i] = x[offset + i];
  input.fill(0, m);
  p.fft.realTransform(p.full, input);
  const full = p.full;
  for (let i = 0; i <= n + 1; i++) spec[i] = full[i];
}

/**
 * Inverse DFT with 1/n scaling of a Hermitian spectrum given by its bins 0 … n/2 (as packed by
 * realForward; the imaginary parts of bins 0 and n/2 are ignored), into out[0 … n).
 */
export function realInverse(n: number, spec: Float64Array, out: Float64Array | Float32Array): void {
  const p = plan(n);
  const full = p.full;
  const half = n / 2;
  full[0] = spec[0];
  full[1] = 0;
  full[n] = spec[n];
  full[n + 1] = 0;
  for (let k = 1; k < half; k++) {
    const re = spec[2 * k];
    const im = spec[2 * k + 1];
    full[2 * k] = re;
    full[2 * k + 1] = im;
    full[2 * (n - k)] = re;
    full[2 * (n - k) + 1] = -im;
  }
  p.fft.inverseTransform(p.scratch, full);
  const s = p.scratch;
  for (let i = 0; i < n; i++) out[i] = s[2 * i];
}
