import { describe, expect, it } from 'vitest';
import { scaleStepsOfSquare } from '../src/coding/frame-shape.js';
import { NearestSearcher } from '../src/model/msvq-search.js';
import { mulberry32 } from './helpers/signals.js';

/** Nearest codeword by a float64 brute-force scan (ties → lowest index): the reference. */
function bruteNearest(x: Float64Array, cb: Float32Array, k: number, dim: number): number {
  let best = Infinity;
  let bi = -1;
  for (let c = 0; c < k; c++) {
    let dist = 0;
    for (let d = 0; d < dim; d++) dist += (x[d] - cb[c * dim + d]) ** 2;
    if (dist < best) {
      best = dist;
      bi = c;
    }
  }
  return bi;
}

describe('scale index from the bits of s·w²/(2g²) (no Math.log2)', () => {
  it('equals round(8·log2 y) over 40 decades and at the exact powers of two', () => {
    const rnd = mulberry32(7);
    const bad: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const y = Math.exp((rnd() - 0.5) * 180);
      if (scaleStepsOfSquare(y) !== Math.round(8 * Math.log2(y))) bad.push(String(y));
    }
    for (let e = -60; e <= 60; e++) if (scaleStepsOfSquare(2 ** e) !== 8 * e) bad.push(`2^${e}`);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('steps exactly at the half-step thresholds 2^((i+½)/8) and handles the edges', () => {
    for (let i = 0; i < 8; i++) {
      const t = 2 ** ((i + 0.5) / 8);
      expect(scaleStepsOfSquare(t)).toBe(i + 1);
      expect(scaleStepsOfSquare(t * (1 - 1e-15))).toBe(i);
    }
    expect(scaleStepsOfSquare(0)).toBe(0);
    expect(scaleStepsOfSquare(-1)).toBe(0);
    expect(scaleStepsOfSquare(Number.NaN)).toBe(0);
    expect(scaleStepsOfSquare(Infinity)).toBe(0);
    expect(scaleStepsOfSquare(1e-320)).toBe(-4096);
    expect(scaleStepsOfSquare(1e300)).toBe(4096);
  });
});

describe('envelope search seeded with a hint', () => {
  it('returns the brute-force nearest codeword whatever the hint', () => {
    const rnd = mulberry32(11);
    const k = 512;
    const dim = 16;
    const cb = new Float32Array(k * dim);
    for (let i = 0; i < cb.length; i++) cb[i] = (rnd() - 0.5) * 4 * (1 + (i % dim) / 4);
    const s = new NearestSearcher(cb, k, dim);
    const x = new Float64Array(dim);
    for (let trial = 0; trial < 200; trial++) {
      for (let d = 0; d < dim; d++) x[d] = (rnd() - 0.5) * 6;
      const bi = bruteNearest(x, cb, k, dim);
      const hint = Math.floor(rnd() * k);
      expect(s.nearest(x, hint)).toBe(bi);
      expect(s.nearest(x)).toBe(bi);
    }
  });
});

describe('envelope search: WebAssembly SIMD scan = JS scan = brute force', () => {
  it('gives the same index on random queries, with duplicated codewords (ties → lowest index)', () => {
    const rnd = mulberry32(23);
    const k = 1024;
    const dim = 16;
    const cb = new Float32Array(k * dim);
    for (let i = 0; i < cb.length; i++) cb[i] = (rnd() - 0.5) * 3 * (1 + ((i % dim) < 3 ? 6 : 0));
    // Exact duplicates at several distances in index and scan order.
    for (const [a, b] of [[3, 700], [10, 11], [500, 20], [1023, 0]]) cb.copyWithin(b * dim, a * dim, a * dim + dim);
    const wasm = new NearestSearcher(cb, k, dim);
    const js = new NearestSearcher(cb, k, dim);
    js.disableWasm();
    expect(js.usesWasm).toBe(false);
    expect(typeof wasm.usesWasm).toBe('boolean'); // false only on a runtime without SIMD
    const x = new Float64Array(dim);
    const bad: string[] = [];
    for (let trial = 0; trial < 1500; trial++) {
      // Every 5th query sits exactly on a duplicated codeword: an exact tie at distance 0.
      const dup = [3, 10, 500, 1023][trial % 4];
      for (let d = 0; d < dim; d++) x[d] = trial % 5 === 0 ? cb[dup * dim + d] : (rnd() - 0.5) * 10;
      const bi = bruteNearest(x, cb, k, dim);
      const hint = trial % 3 === 0 ? -1 : Math.floor(rnd() * k);
      const a = wasm.nearest(x, hint);
      const b = js.nearest(x, hint);
      if (a !== b || a !== bi) bad.push(`${trial}: wasm ${a} js ${b} brute ${bi}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
