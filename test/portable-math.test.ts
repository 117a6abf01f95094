import { describe, expect, it } from 'vitest';
import { PORTABLE_TRIG_MAX_ARG, portableCos, portableExp, portableLog, portableSin, portableSumLog } from '../src/dsp/portable-math.js';
import { mulberry32 } from './helpers/signals.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  f64[0] = a;
  const x = i64[0];
  f64[0] = b;
  const y = i64[0];
  return Number(x > y ? x - y : y - x);
}

/** Largest ulp distance to `ref` over n uniform points in [lo, hi], and where it occurred. */
function maxUlps(f: (x: number) => number, ref: (x: number) => number, lo: number, hi: number, n = 100_000, seed = 1): { ulps: number; at: number } {
  const rnd = mulberry32(seed);
  let worst = 0;
  let at = lo;
  for (let i = 0; i < n; i++) {
    const x = lo + (hi - lo) * rnd();
    const d = ulps(f(x), ref(x));
    if (d > worst) {
      worst = d;
      at = x;
    }
  }
  return { ulps: worst, at };
}

describe('portableExp', () => {
  // Ranges: the codec's band log-levels ê and gRef arguments (±60), the weights' normalisation,
  // the lag window (small negative), and the whole finite range.
  it.each([
    [-1, 1],
    [-60, 60],
    [-745, 709.78],
  ])('is within 1 ulp of Math.exp on [%d, %d] (1e5 points)', (lo, hi) => {
    expect(maxUlps(portableExp, Math.exp, lo, hi).ulps).toBeLessThanOrEqual(1);
  });

  it('handles special values and the range limits', () => {
    expect(portableExp(0)).toBe(1);
    expect(portableExp(-0)).toBe(1);
    expect(portableExp(Infinity)).toBe(Infinity);
    expect(portableExp(-Infinity)).toBe(0);
    expect(portableExp(Number.NaN)).toBeNaN();
    expect(portableExp(5e-324)).toBe(1);
    expect(ulps(portableExp(1), Math.E)).toBeLessThanOrEqual(1);
    expect(portableExp(709.782712893384)).toBe(Math.exp(709.782712893384)); // largest finite
    expect(portableExp(709.8)).toBe(Infinity);
    expect(portableExp(-746)).toBe(0);
    // Subnormal results stay close to Math.exp (relative to the smallest normal).
    for (const x of [-708.5, -720, -740, -744.4]) {
      expect(Math.abs(portableExp(x) - Math.exp(x))).toBeLessThanOrEqual(2 ** -1074 * 2);
    }
    for (let k = -20; k <= 20; k++) expect(portableExp(k * Math.LN2)).toBeCloseTo(2 ** k, 12 - Math.max(0, k / 3));
  });
});

describe('portableLog', () => {
  it.each([
    [0.5, 2],
    [1e-12, 1e6],
    [1e-300, 1e300],
  ])('is within 1 ulp of Math.log on [%d, %d] (1e5 points)', (lo, hi) => {
    expect(maxUlps(portableLog, Math.log, lo, hi).ulps).toBeLessThanOrEqual(1);
  });

  it('is within 1 ulp over decades (log-uniform points, as the weights and envelope see them)', () => {
    const rnd = mulberry32(5);
    let worst = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = 10 ** ((rnd() - 0.5) * 600);
      worst = Math.max(worst, ulps(portableLog(x), Math.log(x)));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('handles special values, subnormals and the range limits', () => {
    expect(portableLog(1)).toBe(0);
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(-0)).toBe(-Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Number.NaN)).toBeNaN();
    expect(portableLog(Infinity)).toBe(Infinity);
    expect(portableLog(-Infinity)).toBeNaN();
    expect(portableLog(2)).toBe(Math.LN2);
    expect(portableLog(Math.E)).toBeCloseTo(1, 15);
    for (const x of [5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, Number.MAX_VALUE, 1e-10]) {
      expect(ulps(portableLog(x), Math.log(x))).toBeLessThanOrEqual(1);
    }
    for (let k = -1074; k <= 1023; k += 7) expect(ulps(portableLog(2 ** k), Math.log(2 ** k))).toBeLessThanOrEqual(1);
  });
});

describe('portableCos / portableSin', () => {
  // The codec's twiddles cos(iω_k), sin(iω_k) with iω_k < 16π, and the tilt response (< π).
  // Within 1 ulp where the codec uses them; 2 ulp further out, where the rounding of the reduced
  // argument starts to show (not used by the codec).
  it.each([
    [-Math.PI / 4, Math.PI / 4, 1],
    [0, 16 * Math.PI, 1],
    [-1000, 1000, 2],
  ])('are within a few ulp of Math.cos/Math.sin on [%d, %d] away from zeros (1e5 points; ≤ %d ulp)', (lo, hi, bound) => {
    const rnd = mulberry32(3);
    let worst = 0;
    let worstAbs = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = lo + (hi - lo) * rnd();
      for (const [f, g] of [[portableCos, Math.cos], [portableSin, Math.sin]] as const) {
        const a = f(x);
        const b = g(x);
        worstAbs = Math.max(worstAbs, Math.abs(a - b));
        if (Math.abs(b) > 1e-3) worst = Math.max(worst, ulps(a, b));
      }
    }
    expect(worst).toBeLessThanOrEqual(bound);
    expect(worstAbs).toBeLessThanOrEqual(2 ** -53);
  });

  it('computes the perceptual twiddles cos(π(k+½)i/320) within 1 ulp (all 5120 of them)', () => {
    let worst = 0;
    for (let i = 1; i <= 16; i++) {
      for (let k = 0; k < 320; k++) {
        const w = (Math.PI * (k + 0.5) * i) / 320;
        worst = Math.max(worst, ulps(portableCos(w), Math.cos(w)), ulps(portableSin(w), Math.sin(w)));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('stays accurate near the zeros (absolute error) and handles special values', () => {
    for (let k = -100; k <= 100; k++) {
      const x = (k * Math.PI) / 2;
      expect(Math.abs(portableCos(x) - Math.cos(x))).toBeLessThan(1e-30 + 2 ** -60);
      expect(Math.abs(portableSin(x) - Math.sin(x))).toBeLessThan(1e-30 + 2 ** -60);
    }
    expect(portableSin(0)).toBe(0);
    expect(Object.is(portableSin(-0), -0)).toBe(true);
    expect(portableCos(0)).toBe(1);
    expect(portableSin(5e-324)).toBe(5e-324);
    expect(portableCos(5e-324)).toBe(1);
    for (const v of [Infinity, -Infinity, Number.NaN]) {
      expect(portableSin(v)).toBeNaN();
      expect(portableCos(v)).toBeNaN();
    }
    const big = PORTABLE_TRIG_MAX_ARG * 0.999;
    expect(Math.abs(portableCos(big) - Math.cos(big))).toBeLessThan(1e-9);
    expect(Math.abs(portableSin(big) - Math.sin(big))).toBeLessThan(1e-9);
  });
});

describe('portableSumLog', () => {
  it('equals Σ ln x_i to 1e-14 of Σ|ln x_i| (weights-like values, 320 of them)', () => {
    const rnd = mulberry32(9);
    for (let t = 0; t < 200; t++) {
      const spread = t < 100 ? 4 : 80; // a few decades around 1, then very wide
      const x = Float64Array.from({ length: 320 }, () => 10 ** ((rnd() - 0.5) * spread));
      let ref = 0;
      let mag = 0;
      for (const v of x) {
        ref += Math.log(v);
        mag += Math.abs(Math.log(v));
      }
      // Both sums round ~320 times: compare against the scale of the terms.
      expect(Math.abs(portableSumLog(x) - ref)).toBeLessThanOrEqual(1e-14 * Math.max(1, mag));
    }
  });

  it('does not overflow or underflow where the plain product would', () => {
    const big = new Float64Array(100).fill(1e200);
    const tiny = new Float64Array(100).fill(1e-200);
    expect(portableSumLog(big) / (100 * Math.log(1e200))).toBeCloseTo(1, 14);
    expect(portableSumLog(tiny) / (100 * Math.log(1e-200))).toBeCloseTo(1, 14);
    expect(portableSumLog(Float64Array.from([5e-324, 1e308, 3, 0.25]))).toBeCloseTo(Math.log(5e-324) + Math.log(1e308) + Math.log(0.75), 11);
  });

  it('gives −∞ with a zero, NaN with a negative or NaN value, and 0 for an empty list', () => {
    expect(portableSumLog(Float64Array.from([1, 2, 0, 4, 5, 6, 7, 8, 9]))).toBe(-Infinity);
    expect(portableSumLog(Float64Array.from([1, 2, -3]))).toBeNaN();
    expect(portableSumLog(Float64Array.from([1, Number.NaN]))).toBeNaN();
    expect(portableSumLog(new Float64Array(0))).toBe(0);
    expect(portableSumLog(Float64Array.from([Infinity, 2]))).toBe(Infinity);
  });
});
