/**
 * Windowed MDCT / IMDCT with orthonormal (TDAC) scaling, O(n log n) (DESIGN §1).
 *
 *   X_k = √(2/n) Σ_{m=0}^{2n−1} w[m] x[m] cos(π/n (m + ½ + n/2)(k + ½)),   k = 0..n−1
 *   y[m] = w[m] √(2/n) Σ_k X_k cos(π/n (m + ½ + n/2)(k + ½)),             m = 0..2n−1
 *
 * With a Princen–Bradley window the basis is orthonormal (Malvar's MLT), so coefficient
 * energy ≈ signal energy, and overlap-adding consecutive y blocks (hop n) gives x back.
 *
 * Fast path: the windowed block z = w·x, split in quarters (a, b, c, d), folds into the
 * n-point DCT-IV input u = (−c_r − d, a − b_r) (·_r = reversed). The DCT-IV
 *   V_k = Σ_j u_j cos(π/n (j+½)(k+½))
 * is computed with one n/2-point complex FFT: with c_p = u_{2p} + i·u_{n−1−2p},
 *   Y_k = e^{−iπ(k+¼)/n} · FFT_{n/2}[c_p e^{−iπp/n}]_k,  V_{2k} = Re Y_k,  V_{n−1−2k} = −Im Y_k.
 * The IMDCT is the same DCT-IV (it is its own inverse up to 2/n) followed by unfolding with
 * the DCT-IV's symmetries (even about j = −½, odd about j = n − ½) and the window.
 */

import { Fft } from './fft.js';
import { lowOverlapWindow } from './window.js';

export class Mdct {
  readonly n: number;
  readonly window: Float64Array;
  private readonly half: number;
  private readonly fft: Fft;
  private readonly preRe: Float64Array;
  private readonly preIm: Float64Array;
  private readonly postRe: Float64Array;
  private readonly postIm: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly v: Float64Array;

  /**
   * @param n number of coefficients (hop size); the block is 2n samples.
   * @param window 2n-sample window satisfying Princen–Bradley; default lowOverlapWindow(n).
   */
  constructor(n: number, window?: ArrayLike<number>) {
    if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new RangeError(`Mdct: n must be a positive even integer, got ${n}`);
    this.n = n;
    this.half = n / 2;
    if (window !== undefined && window.length !== 2 * n) {
      throw new RangeError(`Mdct: window must have ${2 * n} samples, got ${window.length}`);
    }
    this.window = window === undefined ? lowOverlapWindow(n) : Float64Array.from(window);
    this.fft = new Fft(this.half);
    this.preRe = new Float64Array(this.half);
    this.preIm = new Float64Array(this.half);
    this.postRe = new Float64Array(this.half);
    this.postIm = new Float64Array(this.half);
    // Orthonormal scale √(2/n) folded into the post-twiddle.
    const scale = Math.sqrt(2 / n);
    for (let p = 0; p < this.half; p++) {
      const a = (-Math.PI * p) / n;
      this.preRe[p] = Math.cos(a);
      this.preIm[p] = Math.sin(a);
      const b = (-Math.PI * (p + 0.25)) / n;
      this.postRe[p] = scale * Math.cos(b);
      this.postIm[p] = scale * Math.sin(b);
    }
    this.re = new Float64Array(this.half);
    this.im = new Float64Array(this.half);
    this.v = new Float64Array(n);
  }

  /** MDCT of 2n raw samples (the window is applied here) into n coefficients. */
  forward(block: ArrayLike<number>, out: Float64Array): void {
    const n = this.n;
    const h = this.half;
    if (block.length !== 2 * n) throw new RangeError(`Mdct.forward: block must have ${2 * n} samples, got ${block.length}`);
    if (out.length !== n) throw new RangeError(`Mdct.forward: out must have ${n} entries, got ${out.length}`);
    const w = this.window;
    const re = this.re;
    const im = this.im;
    const preRe = this.preRe;
    const preIm = this.preIm;
    // Fold z = w·x into the DCT-IV input u = (−c_r − d, a − b_r) and pack c_p = u_{2p} + i·u_{n−1−2p}
    // (times the pre-twiddle). For p < ⌈h/2⌉, u_{2p} is in the first half of u and u_{n−1−2p}
    // in the second; for larger p the other way round (h = n/2).
    const split = Math.ceil(h / 2);
    for (let p = 0; p < split; p++) {
      const i0 = 3 * h - 1 - 2 * p;
      const i1 = 3 * h + 2 * p;
      const i2 = h - 1 - 2 * p;
      const i3 = h + 2 * p;
      const u0 = -w[i0] * block[i0] - w[i1] * block[i1];
      const u1 = w[i2] * block[i2] - w[i3] * block[i3];
      const pr = preRe[p];
      const pi = preIm[p];
      re[p] = u0 * pr - u1 * pi;
      im[p] = u0 * pi + u1 * pr;
    }
    for (let p = split; p < h; p++) {
      const i0 = 2 * p - h;
      const i1 = 3 * h - 1 - 2 * p;
      const i2 = h + 2 * p;
      const i3 = 5 * h - 1 - 2 * p;
      const u0 = w[i0] * block[i0] - w[i1] * block[i1];
      const u1 = -w[i2] * block[i2] - w[i3] * block[i3];
      const pr = preRe[p];
      const pi = preIm[p];
      re[p] = u0 * pr - u1 * pi;
      im[p] = u0 * pi + u1 * pr;
    }
    this.fft.forward(re, im);
    const postRe = this.postRe;
    const postIm = this.postIm;
    for (let k = 0; k < h; k++) {
      const qr = postRe[k];
      const qi = postIm[k];
      const r = re[k];
      const i = im[k];
      out[2 * k] = r * qr - i * qi;
      out[n - 1 - 2 * k] = -(r * qi + i * qr);
    }
  }

  /** IMDCT of n coefficients into 2n windowed samples, ready for overlap-add at hop n. */
  inverse(coeffs: ArrayLike<number>, out: Float64Array): void {
    const n = this.n;
    const h = this.half;
    if (coeffs.length !== n) throw new RangeError(`Mdct.inverse: expected ${n} coefficients, got ${coeffs.length}`);
    if (out.length !== 2 * n) throw new RangeError(`Mdct.inverse: out must have ${2 * n} samples, got ${out.length}`);
    const re = this.re;
    const im = this.im;
    const preRe = this.preRe;
    const preIm = this.preIm;
    for (let p = 0; p < h; p++) {
      const u0 = coeffs[2 * p];
      const u1 = coeffs[n - 1 - 2 * p];
      const pr = preRe[p];
      const pi = preIm[p];
      re[p] = u0 * pr - u1 * pi;
      im[p] = u0 * pi + u1 * pr;
    }
    this.fft.forward(re, im);
    const v = this.v;
    const postRe = this.postRe;
    const postIm = this.postIm;
    for (let k = 0; k < h; k++) {
      const qr = postRe[k];
      const qi = postIm[k];
      const r = re[k];
      const i = im[k];
      v[2 * k] = r * qr - i * qi;
      v[n - 1 - 2 * k] = -(r * qi + i * qr);
    }
    // y[m] = V(m + n/2) extended: V(j) for j < n, −V(2n−1−j) for n ≤ j < 2n, −V(j−2n) beyond.
    const w = this.window;
    for (let m = 0; m < h; m++) out[m] = w[m] * v[m + h];
    for (let m = h; m < n + h; m++) out[m] = -w[m] * v[n + h - 1 - m];
    for (let m = n + h; m < 2 * n; m++) out[m] = -w[m] * v[m - n - h];
  }
}
