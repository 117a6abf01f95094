/**
 * Typed wrapper over fft.js (radix-4, power-of-two sizes) for the metrics: the 512-point STFT
 * of STOI and the long FFT cross-correlation of the alignment search.
 */
import FFT from 'fft.js';

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class RealFft {
  readonly n: number;
  private readonly fft: FFT;
  private readonly input: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 4 || (n & (n - 1)) !== 0) {
      throw new RangeError(`RealFft: size must be a power of two ≥ 4, got ${n}`);
    }
    this.n = n;
    this.fft = new FFT(n);
    this.input = new Float64Array(n);
  }

  /**
   * Spectrum of the real signal x (zero-padded to n; x.length ≤ n) into `out` as interleaved
   * re/im pairs; bins 0..n/2 are valid, the upper half of `out` is unspecified.
   */
  forward(x: ArrayLike<number>, out: Float64Array): void {
    if (x.length > this.n) throw new RangeError(`RealFft: input of ${x.length} exceeds size ${this.n}`);
    if (out.length < 2 * this.n) throw new RangeError('RealFft: output needs 2n values');
    const buf = this.input;
    if (x.length === this.n && x instanceof Float64Array) {
      this.fft.realTransform(out, x);
      return;
    }
    for (let i = 0; i < x.length; i++) buf[i] = x[i];
    buf.fill(0, x.length);
    this.fft.realTransform(out, buf);
  }

  /** Inverse complex DFT with 1/n scaling of a full interleaved spectrum. */
  inverse(spectrum: Float64Array, out: Float64Array): void {
    this.fft.inverseTransform(out, spectrum);
  }
}
