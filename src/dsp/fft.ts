/**
 * Mixed-radix complex FFT for any length (fast when n = 2^a·3^b·5^c), used by the MDCT
 * (a 320-coefficient MDCT needs a 160-point FFT, and 160 = 4·4·2·5 is not a power of two).
 *
 * Algorithm: Stockham autosort, decimation in frequency. With the remaining length L and
 * stride s (initially L = n, s = 1), a radix-r stage with m = L/r computes for every
 * p < m, q < s:
 *   a_j = x[q + s(p + jm)],  b_t = Σ_j a_j ω_r^{jt},  y[q + s(rp + t)] = b_t · W_L^{pt}
 * then L ← m, s ← s·r. Autosort means no bit reversal; buffers ping-pong between stages.
 * Radices 2, 3, 4 and 5 have hand-written butterflies; any other prime factor uses a direct
 * O(r²) butterfly, so every n ≥ 1 works. Twiddles and scratch are preallocated: no
 * allocation per transform.
 */

interface Stage {
  radix: number;
  /** m = L / radix for this stage. */
  m: number;
  /** Stride s before this stage. */
  s: number;
  /** W_L^{p·t} for p < m, t = 1..radix−1, stored at p·(radix−1) + (t−1). */
  twRe: Float64Array;
  twIm: Float64Array;
}

export class Fft {
  readonly n: number;
  private readonly stages: Stage[];
  private readonly aRe: Float64Array;
  private readonly aIm: Float64Array;
  private readonly bRe: Float64Array;
  private readonly bIm: Float64Array;
  /** Scratch for generic-radix butterflies and their ω_r^k tables, keyed by radix. */
  private readonly genericRoots = new Map<number, { re: Float64Array; im: Float64Array }>();
  private readonly genRe: Float64Array;
  private readonly genIm: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Fft: size must be a positive integer, got ${n}`);
    this.n = n;
    this.aRe = new Float64Array(n);
    this.aIm = new Float64Array(n);
    this.bRe = new Float64Array(n);
    this.bIm = new Float64Array(n);
    this.stages = [];
    let len = n;
    let s = 1;
    let maxGeneric = 0;
    for (const radix of factorize(n)) {
      const m = len / radix;
      const twRe = new Float64Array(m * (radix - 1));
      const twIm = new Float64Array(m * (radix - 1));
      for (let p = 0; p < m; p++) {
        for (let t = 1; t < radix; t++) {
          const ang = (-2 * Math.PI * ((p * t) % len)) / len;
          twRe[p * (radix - 1) + t - 1] = Math.cos(ang);
          twIm[p * (radix - 1) + t - 1] = Math.sin(ang);
        }
      }
      this.stages.push({ radix, m, s, twRe, twIm });
      if (radix > 5 && !this.genericRoots.has(radix)) {
        const re = new Float64Array(radix);
        const im = new Float64Array(radix);
        for (let k = 0; k < radix; k++) {
          re[k] = Math.cos((-2 * Math.PI * k) / radix);
          im[k] = Math.sin((-2 * Math.PI * k) / radix);
        }
        this.genericRoots.set(radix, { re, im });
        maxGeneric = Math.max(maxGeneric, radix);
      }
      len = m;
      s *= radix;
    }
    this.genRe = new Float64Array(maxGeneric);
    this.genIm = new Float64Array(maxGeneric);
  }

  /** In-place forward DFT: X_k = Σ_j x_j e^{−2πi jk/n}. Arrays must have length n. */
  forward(re: Float64Array, im: Float64Array): void {
    this.check(re, im);
    this.run(re, im);
  }

  /** In-place inverse DFT with 1/n scaling, so inverse(forward(x)) = x. */
  inverse(re: Float64Array, im: Float64Array): void {
    this.check(re, im);
    // IDFT(x) = conj(DFT(conj x)) / n.
    const n = this.n;
    for (let i = 0; i < n; i++) im[i] = -im[i];
    this.run(re, im);
    const scale = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= scale;
      im[i] *= -scale;
    }
  }

  private check(re: Float64Array, im: Float64Array): void {
    if (re.length !== this.n || im.length !== this.n) {
      throw new RangeError(`Fft(${this.n}): expected arrays of length ${this.n}, got ${re.length} and ${im.length}`);
    }
  }

  private run(re: Float64Array, im: Float64Array): void {
    if (this.stages.length === 0) return; // n = 1
    let xr: Float64Array = re;
    let xi: Float64Array = im;
    let yr = this.aRe;
    let yi = this.aIm;
    for (const st of this.stages) {
      switch (st.radix) {
        case 2: radix2(st, xr, xi, yr, yi); break;
        case 3: radix3(st, xr, xi, yr, yi); break;
        case 4: radix4(st, xr, xi, yr, yi); break;
        case 5: radix5(st, xr, xi, yr, yi); break;
        default: this.radixGeneric(st, xr, xi, yr, yi);
      }
      // Next stage reads what this one wrote; never write back into the caller's arrays
      // until the end, so use the two scratch pairs alternately.
      const nr = yr === this.aRe ? this.bRe : this.aRe;
      const ni = yi === this.aIm ? this.bIm : this.aIm;
      xr = yr;
      xi = yi;
      yr = nr;
      yi = ni;
    }
    re.set(xr);
    im.set(xi);
  }

  private radixGeneric(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
    const { radix: r, m, s, twRe, twIm } = st;
    const roots = this.genericRoots.get(r);
    if (!roots) throw new Error(`Fft: missing roots for radix ${r}`);
    const ar = this.genRe;
    const ai = this.genIm;
    const sm = s * m;
    for (let p = 0; p < m; p++) {
      for (let q = 0; q < s; q++) {
        const base = q + s * p;
        for (let j = 0; j < r; j++) {
          ar[j] = xr[base + j * sm];
          ai[j] = xi[base + j * sm];
        }
        const out = q + s * r * p;
        for (let t = 0; t < r; t++) {
          let br = 0;
          let bi = 0;
          for (let j = 0; j < r; j++) {
            const k = (j * t) % r;
            br += ar[j] * roots.re[k] - ai[j] * roots.im[k];
            bi += ar[j] * roots.im[k] + ai[j] * roots.re[k];
          }
          if (t > 0) {
            const wr = twRe[p * (r - 1) + t - 1];
            const wi = twIm[p * (r - 1) + t - 1];
            const tr = br * wr - bi * wi;
            bi = br * wi + bi * wr;
            br = tr;
          }
          yr[out + s * t] = br;
          yi[out + s * t] = bi;
        }
      }
    }
  }
}

function radix2(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, s, twRe, twIm } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const wr = twRe[p];
    const wi = twIm[p];
    const inBase = s * p;
    const outBase = 2 * s * p;
    for (let q = 0; q < s; q++) {
      const i0 = inBase + q;
      const i1 = i0 + sm;
      const ar = xr[i0], ai = xi[i0], br = xr[i1], bi = xi[i1];
      const o = outBase + q;
      yr[o] = ar + br;
      yi[o] = ai + bi;
      const dr = ar - br, di = ai - bi;
      yr[o + s] = dr * wr - di * wi;
      yi[o + s] = dr * wi + di * wr;
    }
  }
}

const SIN_60 = Math.sqrt(3) / 2;

function radix3(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, s, twRe, twIm } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const w1r = twRe[2 * p], w1i = twIm[2 * p];
    const w2r = twRe[2 * p + 1], w2i = twIm[2 * p + 1];
    const inBase = s * p;
    const outBase = 3 * s * p;
    for (let q = 0; q < s; q++) {
      const i0 = inBase + q;
      const a0r = xr[i0], a0i = xi[i0];
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm];
      const a2r = xr[i0 + 2 * sm], a2i = xi[i0 + 2 * sm];
      const sr = a1r + a2r, si = a1i + a2i;
      const dr = a1r - a2r, di = a1i - a2i;
      const mr = a0r - 0.5 * sr, mi = a0i - 0.5 * si;
      // b1 = m − i·(√3/2)·d, b2 = m + i·(√3/2)·d   (ω3 = e^{−2πi/3})
      const b1r = mr + SIN_60 * di, b1i = mi - SIN_60 * dr;
      const b2r = mr - SIN_60 * di, b2i = mi + SIN_60 * dr;
      const o = outBase + q;
      yr[o] = a0r + sr;
      yi[o] = a0i + si;
      yr[o + s] = b1r * w1r - b1i * w1i;
      yi[o + s] = b1r * w1i + b1i * w1r;
      yr[o + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o + 2 * s] = b2r * w2i + b2i * w2r;
    }
  }
}

function radix4(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, s, twRe, twIm } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const w1r = twRe[3 * p], w1i = twIm[3 * p];
    const w2r = twRe[3 * p + 1], w2i = twIm[3 * p + 1];
    const w3r = twRe[3 * p + 2], w3i = twIm[3 * p + 2];
    const inBase = s * p;
    const outBase = 4 * s * p;
    for (let q = 0; q < s; q++) {
      const i0 = inBase + q;
      const a0r = xr[i0], a0i = xi[i0];
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm];
      const a2r = xr[i0 + 2 * sm], a2i = xi[i0 + 2 * sm];
      const a3r = xr[i0 + 3 * sm], a3i = xi[i0 + 3 * sm];
      const s02r = a0r + a2r, s02i = a0i + a2i;
      const d02r = a0r - a2r, d02i = a0i - a2i;
      const s13r = a1r + a3r, s13i = a1i + a3i;
      const d13r = a1r - a3r, d13i = a1i - a3i;
      // b1 = d02 − i·d13, b3 = d02 + i·d13   (ω4 = −i)
      const b1r = d02r + d13i, b1i = d02i - d13r;
      const b2r = s02r - s13r, b2i = s02i - s13i;
      const b3r = d02r - d13i, b3i = d02i + d13r;
      const o = outBase + q;
      yr[o] = s02r + s13r;
      yi[o] = s02i + s13i;
      yr[o + s] = b1r * w1r - b1i * w1i;
      yi[o + s] = b1r * w1i + b1i * w1r;
      yr[o + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o + 2 * s] = b2r * w2i + b2i * w2r;
      yr[o + 3 * s] = b3r * w3r - b3i * w3i;
      yi[o + 3 * s] = b3r * w3i + b3i * w3r;
    }
  }
}

const C1 = Math.cos((2 * Math.PI) / 5);
const C2 = Math.cos((4 * Math.PI) / 5);
const S1 = Math.sin((2 * Math.PI) / 5);
const S2 = Math.sin((4 * Math.PI) / 5);

function radix5(st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
  const { m, s, twRe, twIm } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const tw = 4 * p;
    const w1r = twRe[tw], w1i = twIm[tw];
    const w2r = twRe[tw + 1], w2i = twIm[tw + 1];
    const w3r = twRe[tw + 2], w3i = twIm[tw + 2];
    const w4r = twRe[tw + 3], w4i = twIm[tw + 3];
    const inBase = s * p;
    const outBase = 5 * s * p;
    for (let q = 0; q < s; q++) {
      const i0 = inBase + q;
      const a0r = xr[i0], a0i = xi[i0];
      const a1r = xr[i0 + sm], a1i = xi[i0 + sm];
      const a2r = xr[i0 + 2 * sm], a2i = xi[i0 + 2 * sm];
      const a3r = xr[i0 + 3 * sm], a3i = xi[i0 + 3 * sm];
      const a4r = xr[i0 + 4 * sm], a4i = xi[i0 + 4 * sm];
      const s14r = a1r + a4r, s14i = a1i + a4i;
      const d14r = a1r - a4r, d14i = a1i - a4i;
      const s23r = a2r + a3r, s23i = a2i + a3i;
      const d23r = a2r - a3r, d23i = a2i - a3i;
      // Real parts of the symmetric sums, and the odd parts that get multiplied by ∓i.
      const m1r = a0r + C1 * s14r + C2 * s23r, m1i = a0i + C1 * s14i + C2 * s23i;
      const m2r = a0r + C2 * s14r + C1 * s23r, m2i = a0i + C2 * s14i + C1 * s23i;
      const n1r = S1 * d14r + S2 * d23r, n1i = S1 * d14i + S2 * d23i;
      const n2r = S2 * d14r - S1 * d23r, n2i = S2 * d14i - S1 * d23i;
      // b1 = m1 − i·n1, b4 = m1 + i·n1, b2 = m2 − i·n2, b3 = m2 + i·n2
      const b1r = m1r + n1i, b1i = m1i - n1r;
      const b4r = m1r - n1i, b4i = m1i + n1r;
      const b2r = m2r + n2i, b2i = m2i - n2r;
      const b3r = m2r - n2i, b3i = m2i + n2r;
      const o = outBase + q;
      yr[o] = a0r + s14r + s23r;
      yi[o] = a0i + s14i + s23i;
      yr[o + s] = b1r * w1r - b1i * w1i;
      yi[o + s] = b1r * w1i + b1i * w1r;
      yr[o + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o + 2 * s] = b2r * w2i + b2i * w2r;
      yr[o + 3 * s] = b3r * w3r - b3i * w3i;
      yi[o + 3 * s] = b3r * w3i + b3i * w3r;
      yr[o + 4 * s] = b4r * w4r - b4i * w4i;
      yi[o + 4 * s] = b4r * w4i + b4i * w4r;
    }
  }
}

/** Radices for n: as many 4s as possible, then 2, 3, 5, then any other primes ascending. */
export function factorize(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    out.push(4);
    rest /= 4;
  }
  for (let f = 2; rest > 1; f++) {
    if (f * f > rest) {
      out.push(rest);
      break;
    }
    while (rest % f === 0) {
      out.push(f);
      rest /= f;
    }
  }
  return out;
}
