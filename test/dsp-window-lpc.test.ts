import { describe, expect, it } from 'vitest';
import { HOP, WINDOW_LENGTH, lowOverlapWindow } from '../src/dsp/window.js';
import {
  autocorrelation,
  gaussianLagWindow,
  levinson,
  lpcFromPowerSpectrum,
  lpcResponseAtBins,
} from '../src/dsp/lpc.js';
import { mulberry32 } from './helpers/signals.js';

/** Seeded Box–Muller normals, so failures reproduce. */
function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Polynomial with roots r·e^{±jθ} for each (r, θ): a stable all-pole denominator. */
function polyFromPoles(poles: [number, number][]): Float64Array {
  let a = [1];
  for (const [r, th] of poles) {
    const q = [1, -2 * r * Math.cos(th), r * r];
    const next = new Array<number>(a.length + 2).fill(0);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < 3; j++) next[i + j] += a[i] * q[j];
    a = next;
  }
  return Float64Array.from(a);
}

/** x[n] = e[n] − Σ_{i≥1} a_i x[n−i] driven by unit white Gaussian noise. */
function arProcess(a: ArrayLike<number>, n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const x = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let v = g();
    for (let i = 1; i < a.length && i <= t; i++) v -= a[i] * x[t - i];
    x[t] = v;
  }
  return x;
}

/** Solve the dense system M·y = b by Gaussian elimination with partial pivoting. */
function solve(m: number[][], b: number[]): number[] {
  const n = b.length;
  const A = m.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = c + 1; r < n; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = A[r][n];
    for (let k = r + 1; k < n; k++) s -= A[r][k] * y[k];
    y[r] = s / A[r][r];
  }
  return y;
}

/** |A(e^{jω})|² evaluated the slow way. */
function powerOf(a: ArrayLike<number>, w: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < a.length; i++) {
    re += a[i] * Math.cos(w * i);
    im -= a[i] * Math.sin(w * i);
  }
  return re * re + im * im;
}

describe('lowOverlapWindow', () => {
  it('has the DESIGN §1 layout for n = 320: 80 zeros, 160 rise, 160 flat, 160 fall, 80 zeros', () => {
    const w = lowOverlapWindow();
    expect(HOP).toBe(320);
    expect(WINDOW_LENGTH).toBe(640);
    expect(w.length).toBe(WINDOW_LENGTH);
    for (let m = 0; m < 80; m++) expect(w[m]).toBe(0);
    for (let m = 560; m < 640; m++) expect(w[m]).toBe(0);
    for (let m = 240; m < 400; m++) expect(w[m]).toBe(1);
    for (let m = 80; m < 240; m++) {
      expect(w[m]).toBeGreaterThan(0);
      expect(w[m]).toBeLessThan(1);
      if (m > 80) expect(w[m]).toBeGreaterThan(w[m - 1]);
      expect(w[m]).toBeCloseTo(Math.sin((Math.PI / 2) * ((m - 80 + 0.5) / 160)), 14);
    }
  });

  it.each([4, 8, 64, 320, 1024])('satisfies Princen–Bradley and symmetry for n = %i', (n) => {
    const w = lowOverlapWindow(n);
    expect(w.length).toBe(2 * n);
    for (let m = 0; m < n; m++) expect(Math.abs(w[m] * w[m] + w[m + n] * w[m + n] - 1)).toBeLessThan(1e-14);
    for (let m = 0; m < 2 * n; m++) expect(w[m]).toBe(w[2 * n - 1 - m]);
  });

  it('rejects sizes that are not positive multiples of 4', () => {
    for (const n of [0, -4, 6, 3.5]) expect(() => lowOverlapWindow(n)).toThrow(RangeError);
  });
});

describe('autocorrelation', () => {
  it('matches the definition and handles lags beyond the signal length', () => {
    const x = [1, 2, -1, 3];
    const r = autocorrelation(x, 5);
    expect(Array.from(r)).toEqual([15, 1 * 2 + 2 * -1 + -1 * 3, 1 * -1 + 2 * 3, 3, 0, 0]);
  });
});

describe('levinson', () => {
  it('matches solving the normal equations directly', () => {
    const x = arProcess(polyFromPoles([[0.9, 0.4], [0.7, 2.0]]), 2000, 7);
    const g = gaussian(11);
    for (let i = 0; i < x.length; i++) x[i] += 0.1 * g();
    for (const order of [1, 2, 5, 10, 16]) {
      const r = autocorrelation(x, order);
      const { a, error, reflection } = levinson(r, order);
      const M: number[][] = [];
      for (let i = 1; i <= order; i++) {
        M.push(Array.from({ length: order }, (_, j) => r[Math.abs(i - (j + 1))]));
      }
      const y = solve(M, Array.from({ length: order }, (_, i) => -r[i + 1]));
      expect(a[0]).toBe(1);
      for (let i = 0; i < order; i++) expect(Math.abs(a[i + 1] - y[i])).toBeLessThan(1e-9);
      // Error energy = Σ a_i r[i] for the optimal predictor.
      let e = 0;
      for (let i = 0; i <= order; i++) e += a[i] * r[i];
      expect(Math.abs(error - e) / r[0]).toBeLessThan(1e-10);
      for (const k of reflection) expect(Math.abs(k)).toBeLessThan(1);
    }
  });

  it('returns A(z) = 1 for silence and stops early, stably, on a singular autocorrelation', () => {
    const silent = levinson(new Float64Array(5), 4);
    expect(Array.from(silent.a)).toEqual([1, 0, 0, 0, 0]);
    expect(silent.error).toBe(0);
    // A pure sinusoid's autocorrelation is rank 2: order-2 is exact, the error then hits 0.
    const w0 = 0.3;
    const r = Float64Array.from({ length: 7 }, (_, i) => Math.cos(w0 * i));
    const res = levinson(r, 6);
    expect(res.a.every(Number.isFinite)).toBe(true);
    expect(res.error).toBeGreaterThan(0);
    for (const k of res.reflection) expect(Math.abs(k)).toBeLessThan(1);
    // A constant autocorrelation gives k1 = −1 immediately: keep A(z) = 1.
    const flat = levinson([1, 1, 1], 2);
    expect(Array.from(flat.a)).toEqual([1, 0, 0]);
    expect(flat.error).toBe(1);
  });

  it('rejects a too-short autocorrelation', () => {
    expect(() => levinson([1, 0.5], 3)).toThrow(RangeError);
  });
});

describe('LPC of known AR processes (10^5 samples, seeded)', () => {
  const cases: [string, Float64Array][] = [
    ['AR(2)', Float64Array.from([1, -1.6, 0.9])],
    ['AR(4)', polyFromPoles([[0.9, 0.3 * Math.PI], [0.8, 0.7 * Math.PI]])],
  ];
  it.each(cases)('%s: recovers the coefficients within 0.02', (_name, aTrue) => {
    const order = aTrue.length - 1;
    const x = arProcess(aTrue, 100_000, 1234 + order);
    const { a, error } = levinson(autocorrelation(x, order), order);
    for (let i = 0; i <= order; i++) expect(Math.abs(a[i] - aTrue[i])).toBeLessThan(0.02);
    // Innovation variance is 1: error / N ≈ 1.
    expect(error / x.length).toBeGreaterThan(0.97);
    expect(error / x.length).toBeLessThan(1.03);
    // A higher order finds (near) zero extra coefficients.
    const a8 = levinson(autocorrelation(x, 8), 8).a;
    for (let i = order + 1; i <= 8; i++) expect(Math.abs(a8[i])).toBeLessThan(0.02);
  });
});

describe('gaussianLagWindow', () => {
  it('is exp(−½(2π f0 i/fs)²) with w[0] = 1', () => {
    const w = gaussianLagWindow(16, 60, 16000);
    expect(w.length).toBe(17);
    expect(w[0]).toBe(1);
    const c = (2 * Math.PI * 60) / 16000;
    for (let i = 0; i <= 16; i++) expect(w[i]).toBeCloseTo(Math.exp(-0.5 * (c * i) ** 2), 15);
    expect(w[16]).toBeLessThan(w[1]);
    expect(Array.from(gaussianLagWindow(3, 0, 16000))).toEqual([1, 1, 1, 1]);
  });
});

describe('lpcFromPowerSpectrum', () => {
  it('recovers an all-pole filter from its exact power spectrum at the MDCT bin centres', () => {
    const aTrue = polyFromPoles([[0.95, 0.1 * Math.PI], [0.9, 0.35 * Math.PI], [0.85, 0.6 * Math.PI], [0.7, 0.9 * Math.PI]]);
    const order = aTrue.length - 1;
    const N = 320;
    const P = Float64Array.from({ length: N }, (_, k) => 3.7 / powerOf(aTrue, (Math.PI * (k + 0.5)) / N));
    const a = lpcFromPowerSpectrum(P, order, { lagWindowHz: 0, whiteNoiseCorrection: 0 });
    expect(a.length).toBe(order + 1);
    for (let i = 0; i <= order; i++) expect(Math.abs(a[i] - aTrue[i])).toBeLessThan(1e-6);
    // A higher order than the truth pads with ~0.
    const a16 = lpcFromPowerSpectrum(P, 16, { lagWindowHz: 0, whiteNoiseCorrection: 0 });
    for (let i = order + 1; i <= 16; i++) expect(Math.abs(a16[i])).toBeLessThan(1e-6);
  });

  it('applies the lag window and white-noise correction (defaults: 60 Hz, 1e-4)', () => {
    const aTrue = polyFromPoles([[0.98, 0.2 * Math.PI]]);
    const N = 320;
    const P = Float64Array.from({ length: N }, (_, k) => 1 / powerOf(aTrue, (Math.PI * (k + 0.5)) / N));
    const plain = lpcFromPowerSpectrum(P, 2, { lagWindowHz: 0, whiteNoiseCorrection: 0 });
    const smoothed = lpcFromPowerSpectrum(P, 2);
    const explicit = lpcFromPowerSpectrum(P, 2, { lagWindowHz: 60, whiteNoiseCorrection: 1e-4, sampleRate: 16000 });
    expect(Array.from(smoothed)).toEqual(Array.from(explicit));
    // Bandwidth expansion pulls the pole radius (√a2) inwards.
    expect(Math.sqrt(plain[2])).toBeCloseTo(0.98, 6);
    expect(Math.sqrt(smoothed[2])).toBeLessThan(0.98 - 5e-4);
    // Same result as running the same steps by hand.
    const r = new Float64Array(3);
    for (let i = 0; i <= 2; i++) {
      for (let k = 0; k < N; k++) r[i] += (P[k] * Math.cos((Math.PI * (k + 0.5) * i) / N)) / N;
    }
    const w = gaussianLagWindow(2, 60, 16000);
    r[1] *= w[1];
    r[2] *= w[2];
    r[0] *= 1.0001;
    const ref = levinson(r, 2).a;
    for (let i = 0; i <= 2; i++) expect(Math.abs(smoothed[i] - ref[i])).toBeLessThan(1e-10);
  });

  it('gives a flat filter for a flat spectrum and for silence', () => {
    const flat = lpcFromPowerSpectrum(new Float64Array(320).fill(2), 16);
    for (let i = 1; i <= 16; i++) expect(Math.abs(flat[i])).toBeLessThan(1e-9);
    const silent = lpcFromPowerSpectrum(new Float64Array(320), 16);
    expect(Array.from(silent)).toEqual([1, ...new Array<number>(16).fill(0)]);
  });
});

/** Step-down recursion: reflection coefficients of A(z); all |k| < 1 ⇔ minimum phase. */
function reflectionOf(a: ArrayLike<number>): number[] {
  let cur = Array.from(a);
  const ks: number[] = [];
  for (let i = cur.length - 1; i >= 1; i--) {
    const k = cur[i];
    ks.push(k);
    if (!(Math.abs(k) < 1)) break;
    const next = new Array<number>(i).fill(0);
    for (let j = 0; j < i; j++) next[j] = (cur[j] - k * cur[i - j]) / (1 - k * k);
    cur = next;
  }
  return ks;
}

describe('LPC robustness (codec inputs are arbitrary decoded envelopes)', () => {
  it('always returns a finite minimum-phase filter, even for hostile spectra', () => {
    const u = mulberry32(2024);
    const spectra: Float64Array[] = [];
    for (let t = 0; t < 50; t++) {
      // Log-uniform over 300 dB with occasional negative entries and huge dynamic range.
      spectra.push(Float64Array.from({ length: 320 }, () => (u() < 0.05 ? -1 : 1) * 10 ** (30 * u() - 15)));
    }
    spectra.push(new Float64Array(320).fill(1e300));
    spectra.push(Float64Array.from({ length: 320 }, (_, k) => (k === 100 ? 1 : 0))); // a single line
    spectra.push(Float64Array.from({ length: 320 }, (_, k) => (k === 5 ? Infinity : 1)));
    spectra.push(Float64Array.from({ length: 320 }, (_, k) => (k === 7 ? NaN : 1)));
    for (const P of spectra) {
      const a = lpcFromPowerSpectrum(P, 16);
      expect(a.length).toBe(17);
      expect(a[0]).toBe(1);
      expect(a.every(Number.isFinite)).toBe(true);
      for (const k of reflectionOf(a)) expect(Math.abs(k)).toBeLessThan(1);
      const w = lpcResponseAtBins(a, 0.85, 320);
      expect(w.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    }
  });

  it('levinson returns A(z) = 1 for non-finite input', () => {
    expect(Array.from(levinson([NaN, 0.5, 0.1], 2).a)).toEqual([1, 0, 0]);
    expect(Array.from(levinson([Infinity, 1, 1], 2).a)).toEqual([1, 0, 0]);
    expect(Array.from(levinson([1, NaN, 0.1], 2).a)).toEqual([1, 0, 0]);
  });
});

describe('lpcResponseAtBins', () => {
  it('matches a direct complex evaluation of |Σ a_i γ^i e^{−jω_k i}|', () => {
    const g = gaussian(99);
    const a = Float64Array.from({ length: 17 }, (_, i) => (i === 0 ? 1 : 0.3 * g()));
    for (const [gamma, nBins] of [[0.85, 320], [1, 64], [0.92, 7]] as const) {
      const out = lpcResponseAtBins(a, gamma, nBins);
      expect(out.length).toBe(nBins);
      for (let k = 0; k < nBins; k++) {
        const w = (Math.PI * (k + 0.5)) / nBins;
        let re = 0;
        let im = 0;
        for (let i = 0; i < a.length; i++) {
          re += a[i] * gamma ** i * Math.cos(w * i);
          im -= a[i] * gamma ** i * Math.sin(w * i);
        }
        expect(Math.abs(out[k] - Math.hypot(re, im))).toBeLessThan(1e-12 * Math.max(1, Math.hypot(re, im)));
      }
    }
  });

  it('is 1/√P of the spectrum LPC was fitted to, for γ = 1', () => {
    const aTrue = polyFromPoles([[0.8, 0.25 * Math.PI]]);
    const out = lpcResponseAtBins(aTrue, 1, 320);
    for (let k = 0; k < 320; k += 17) {
      expect(out[k] ** 2).toBeCloseTo(powerOf(aTrue, (Math.PI * (k + 0.5)) / 320), 10);
    }
  });
});
