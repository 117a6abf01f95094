import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codewordNorms, nearestCodewords, nearestCodewordsNaive, setWasmSearch } from '../src/vq/search.js';
import { setWasmRowsPerPass, wasmSearchAvailable } from '../src/vq/search-wasm.js';
import { Rng } from '../src/vq/random.js';

function randomCase(rng: Rng, n: number, k: number, dim: number, offset = 0, spread = 1) {
  const data = new Float32Array(n * dim);
  const cb = new Float32Array(k * dim);
  for (let i = 0; i < data.length; i++) data[i] = offset + spread * rng.normal();
  for (let i = 0; i < cb.length; i++) cb[i] = offset + spread * rng.normal();
  return { data, cb };
}

it('the WebAssembly SIMD path is available on this runtime', () => {
  expect(wasmSearchAvailable(16)).toBe(true);
  expect(wasmSearchAvailable(3)).toBe(true);
});

describe.each(['js', 'wasm-1', 'wasm-2', 'wasm-3'])('nearestCodewords (%s kernel)', (mode) => {
  beforeAll(() => {
    setWasmSearch(mode !== 'js', 0);
    if (mode !== 'js') setWasmRowsPerPass(Number(mode.slice(5)));
  });
  afterAll(() => {
    setWasmSearch(true);
    setWasmRowsPerPass(2);
  });

  it('agrees exactly with the naive reference for many shapes', () => {
    const rng = new Rng(1);
    for (const dim of [1, 2, 3, 5, 16, 17, 20]) {
      for (const k of [1, 2, 7, 64, 300]) {
        const { data, cb } = randomCase(rng, 200, k, dim);
        const fast = nearestCodewords(data, 200, cb, k, dim);
        const naive = nearestCodewordsNaive(data, 200, cb, k, dim);
        expect(Array.from(fast)).toEqual(Array.from(naive));
      }
    }
  });

  it('returns the codeword minimising the squared distance (checked independently)', () => {
    const rng = new Rng(2);
    const dim = 16, k = 50, n = 40;
    const { data, cb } = randomCase(rng, n, k, dim);
    const idx = nearestCodewords(data, n, cb, k, dim);
    for (let r = 0; r < n; r++) {
      const dist = (j: number) => {
        let s = 0;
        for (let i = 0; i < dim; i++) s += (data[r * dim + i] - cb[j * dim + i]) ** 2;
        return s;
      };
      for (let j = 0; j < k; j++) expect(dist(idx[r])).toBeLessThanOrEqual(dist(j));
    }
  });

  it('breaks exact ties towards the lowest index (duplicates and symmetric codewords)', () => {
    for (const dim of [2, 16]) {
      const k = 8;
      const cb = new Float32Array(k * dim);
      // codewords 3 and 5 identical, 6 and 7 identical; codeword 1 = −codeword 2.
      const rng = new Rng(3);
      for (let i = 0; i < cb.length; i++) cb[i] = rng.normal();
      cb.copyWithin(5 * dim, 3 * dim, 4 * dim);
      cb.copyWithin(7 * dim, 6 * dim, 7 * dim);
      for (let i = 0; i < dim; i++) cb[2 * dim + i] = -cb[dim + i];
      const data = new Float32Array(3 * dim);
      data.set(cb.subarray(3 * dim, 4 * dim), 0); // on the duplicate pair → 3
      data.set(cb.subarray(7 * dim, 8 * dim), dim); // on 6/7 → 6
      // row 2: origin, equidistant from 1 and 2; make them the closest by scaling the others far away.
      for (const j of [0, 3, 4, 5, 6, 7]) for (let i = 0; i < dim; i++) cb[j * dim + i] *= 50;
      data.set(cb.subarray(3 * dim, 4 * dim), 0);
      data.set(cb.subarray(7 * dim, 8 * dim), dim);
      const fast = nearestCodewords(data, 3, cb, k, dim);
      expect(Array.from(fast)).toEqual([3, 6, 1]);
      expect(Array.from(fast)).toEqual(Array.from(nearestCodewordsNaive(data, 3, cb, k, dim)));
    }
  });

  it('matches the naive reference where ‖c‖²−2x·c cancels badly (large offset, tiny spread)', () => {
    const rng = new Rng(4);
    for (const dim of [3, 16]) {
      const { data, cb } = randomCase(rng, 500, 256, dim, 3000, 1e-3);
      // Quantise to a coarse grid so near-ties are frequent.
      for (let i = 0; i < data.length; i++) data[i] = Math.fround(3000 + Math.round((data[i] - 3000) * 4e3) / 4e3);
      for (let i = 0; i < cb.length; i++) cb[i] = Math.fround(3000 + Math.round((cb[i] - 3000) * 4e3) / 4e3);
      const fast = nearestCodewords(data, 500, cb, 256, dim);
      expect(Array.from(fast)).toEqual(Array.from(nearestCodewordsNaive(data, 500, cb, 256, dim)));
    }
  });


  it('resolves exact naive ties that the ‖c‖²−2x·c form alone would get wrong', () => {
    // x has large, full-mantissa components; codewords a, b differ from x by ∓t in the last
    // component only, so the naive distances tie exactly, while the expanded form rounds.
    const rng = new Rng(7);
    let ties = 0, expandedWrong = 0;
    for (const dim of [2, 16]) {
      for (let trial = 0; trial < 1000; trial++) {
        const x = new Float32Array(dim);
        for (let i = 0; i < dim; i++) x[i] = Math.fround((1 + rng.uniform()) * 2 ** (10 + rng.int(10)));
        const cb = new Float32Array(2 * dim);
        cb.set(x, 0);
        cb.set(x, dim);
        const t = Math.fround(rng.uniform());
        cb[dim - 1] = Math.fround(x[dim - 1] - t);
        cb[2 * dim - 1] = Math.fround(x[dim - 1] + t);
        if ((x[dim - 1] - cb[dim - 1]) ** 2 !== (x[dim - 1] - cb[2 * dim - 1]) ** 2) continue;
        ties++;
        let na = 0, nb = 0, sa = 0, sb = 0;
        for (let i = 0; i < dim; i++) {
          na += cb[i] * cb[i];
          nb += cb[dim + i] * cb[dim + i];
          sa += x[i] * cb[i];
          sb += x[i] * cb[dim + i];
        }
        if (nb - 2 * sb < na - 2 * sa) expandedWrong++;
        expect(nearestCodewords(x, 1, cb, 2, dim)[0]).toBe(0);
      }
    }
    expect(ties).toBeGreaterThan(1000);
    expect(expandedWrong).toBeGreaterThan(0); // the case really exercises the fallback
  });

  it('grid data with many exact ties agrees with the naive reference', () => {
    const rng = new Rng(5);
    const dim = 16, k = 64, n = 300;
    const data = new Float32Array(n * dim);
    const cb = new Float32Array(k * dim);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(3) - 1;
    for (let i = 0; i < cb.length; i++) cb[i] = rng.int(3) - 1;
    const fast = nearestCodewords(data, n, cb, k, dim);
    expect(Array.from(fast)).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, dim)));
  });

  it('never selects a codeword containing NaN, like the naive reference', () => {
    const rng = new Rng(8);
    const dim = 16, k = 40, n = 64;
    const { data, cb } = randomCase(rng, n, k, dim);
    for (const j of [0, 5, 17]) cb[j * dim + 3] = NaN;
    const fast = nearestCodewords(data, n, cb, k, dim);
    expect(Array.from(fast)).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, dim)));
    expect(fast.every((j) => j !== 0 && j !== 5 && j !== 17)).toBe(true);
  });

  it('writes into out and validates shapes', () => {
    const cb = new Float32Array([0, 0, 1, 1]);
    const out = new Int32Array(2);
    const r = nearestCodewords(new Float32Array([0.9, 0.8, 0.1, 0.2]), 2, cb, 2, 2, out);
    expect(r).toBe(out);
    expect(Array.from(out)).toEqual([1, 0]);
    expect(() => nearestCodewords(new Float32Array(3), 2, cb, 2, 2)).toThrow(RangeError);
    expect(() => nearestCodewords(new Float32Array(4), 2, cb, 0, 2)).toThrow(RangeError);
  });

  it('codewordNorms gives ‖c‖²', () => {
    const norms = codewordNorms(new Float32Array([3, 4, 1, 0]), 2, 2);
    expect(Array.from(norms)).toEqual([25, 1]);
  });
});
