// The recheck of rows the float32 scan cannot certify (search.ts nearestRange): candidate list,
// its overflow fallback and the earlier full rescan must all return the naive indices.
import { afterEach, describe, expect, it } from 'vitest';
import {
  nearestCodewords, nearestCodewordsNaive, resetSearchStats, searchStats, setSearchRecheck, setWasmSearch,
} from '../src/vq/search.js';
import { setCandidateCap, setWasmAccumulators, setWasmRowsPerPass } from '../src/vq/search-wasm.js';
import { Rng } from '../src/vq/random.js';

/** Codebook of `clusters` centres, each copied `copies` times with N(0, jitter²) noise (like replacement). */
function clusteredCase(rng: Rng, n: number, clusters: number, copies: number, dim: number, offset: number, spread: number, jitter: number) {
  const k = clusters * copies;
  const cb = new Float32Array(k * dim);
  for (let c = 0; c < clusters; c++) {
    const centre = Array.from({ length: dim }, () => offset + spread * rng.normal());
    for (let t = 0; t < copies; t++) {
      // copies spread over blocks of 4 so the lanes and blocks of the scan both matter
      const j = t * clusters + c;
      for (let i = 0; i < dim; i++) cb[j * dim + i] = Math.fround(centre[i] + jitter * rng.normal());
    }
  }
  const data = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const j = rng.int(k);
    for (let i = 0; i < dim; i++) data[r * dim + i] = Math.fround(cb[j * dim + i] + spread * 0.3 * rng.normal());
  }
  return { data, cb, k };
}

afterEach(() => {
  setSearchRecheck('candidates');
  setCandidateCap(256);
  setWasmSearch(true);
  setWasmAccumulators(2);
  setWasmRowsPerPass(2);
});

describe('recheck of uncertain rows', () => {
  it('candidate list: near-duplicate codewords at a large offset give the naive indices, with no full rescan', () => {
    const rng = new Rng(21);
    setWasmSearch(true, 0);
    for (const dim of [3, 16]) {
      const { data, cb, k } = clusteredCase(rng, 600, 64, 8, dim, 12, 3, 1e-3);
      resetSearchStats();
      const got = nearestCodewords(data, 600, cb, k, dim);
      expect(searchStats.rows).toBe(600);
      expect(searchStats.uncertain).toBeGreaterThan(30); // the candidate path really runs
      expect(searchStats.candidates).toBeGreaterThan(0);
      expect(searchStats.fullRescans).toBe(0);
      expect(searchStats.shifted).toBe(600); // offset ≫ spread: the scan runs centred
      expect(Array.from(got)).toEqual(Array.from(nearestCodewordsNaive(data, 600, cb, k, dim)));
    }
  });

  it('candidate list: fewer uncertain rows than the earlier full-rescan margin, same indices', () => {
    const rng = new Rng(22);
    setWasmSearch(true, 0);
    const dim = 16;
    const { data, cb, k } = clusteredCase(rng, 800, 128, 4, dim, 12, 3, 1e-3);
    const naive = Array.from(nearestCodewordsNaive(data, 800, cb, k, dim));
    const uncertain: Record<string, number> = {};
    for (const mode of ['full', 'candidates'] as const) {
      setSearchRecheck(mode);
      resetSearchStats();
      expect(Array.from(nearestCodewords(data, 800, cb, k, dim))).toEqual(naive);
      uncertain[mode] = searchStats.uncertain;
    }
    expect(uncertain.candidates).toBeLessThan(uncertain.full);
  });

  it('near-duplicates around the origin (no shift) also give the naive indices', () => {
    const rng = new Rng(26);
    setWasmSearch(true, 0);
    const dim = 16;
    const { data, cb, k } = clusteredCase(rng, 600, 64, 8, dim, 0, 0.05, 1e-6);
    resetSearchStats();
    const got = nearestCodewords(data, 600, cb, k, dim);
    expect(searchStats.shifted).toBe(0);
    expect(searchStats.uncertain).toBeGreaterThan(30);
    expect(Array.from(got)).toEqual(Array.from(nearestCodewordsNaive(data, 600, cb, k, dim)));
  });

  it('overflow of the candidate list falls back to the full rescan and still matches', () => {
    // A grid codebook and grid data: many codewords tie exactly with the winner.
    const rng = new Rng(23);
    setWasmSearch(true, 0);
    const dim = 16, k = 256, n = 300;
    const cb = new Float32Array(k * dim);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < cb.length; i++) cb[i] = rng.int(2);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(3) * 0.5;
    const naive = Array.from(nearestCodewordsNaive(data, n, cb, k, dim));
    setCandidateCap(1);
    resetSearchStats();
    expect(Array.from(nearestCodewords(data, n, cb, k, dim))).toEqual(naive);
    expect(searchStats.fullRescans).toBeGreaterThan(0);
    const overflowed = searchStats.fullRescans;
    setCandidateCap(256);
    resetSearchStats();
    expect(Array.from(nearestCodewords(data, n, cb, k, dim))).toEqual(naive);
    expect(searchStats.fullRescans).toBeLessThan(overflowed);
  });

  it('exact ties across lanes and blocks resolve to the lowest index, not the scan lane order', () => {
    // Codewords 4 (block 1, lane 0) and 1 (block 0, lane 1) identical; 9 and 14 identical.
    setWasmSearch(true, 0);
    const rng = new Rng(24);
    for (const dim of [2, 16]) {
      const k = 16;
      const cb = new Float32Array(k * dim);
      for (let i = 0; i < cb.length; i++) cb[i] = 40 * rng.normal();
      cb.copyWithin(4 * dim, 1 * dim, 2 * dim);
      cb.copyWithin(14 * dim, 9 * dim, 10 * dim);
      const data = new Float32Array(4 * dim);
      data.set(cb.subarray(4 * dim, 5 * dim), 0);
      data.set(cb.subarray(14 * dim, 15 * dim), dim);
      for (let i = 0; i < dim; i++) data[2 * dim + i] = Math.fround(cb[dim + i] + 1e-3);
      for (let i = 0; i < dim; i++) data[3 * dim + i] = Math.fround(cb[9 * dim + i] - 1e-3);
      for (const mode of ['candidates', 'full'] as const) {
        setSearchRecheck(mode);
        const got = nearestCodewords(data, 4, cb, k, dim);
        expect(Array.from(got)).toEqual([1, 9, 1, 9]);
        expect(Array.from(got)).toEqual(Array.from(nearestCodewordsNaive(data, 4, cb, k, dim)));
      }
    }
  });

  it('matches the naive search for every accumulator count and rows per pass (the bound depends on them)', () => {
    const rng = new Rng(25);
    setWasmSearch(true, 0);
    for (let accs = 1; accs <= 4; accs++) {
      for (const rows of [1, 3]) {
        setWasmAccumulators(accs);
        setWasmRowsPerPass(rows);
        for (const dim of [5, 16]) {
          // jitter at the float32 resolution of the offset: f32 scores cannot separate these
          const { data, cb, k } = clusteredCase(rng, 200, 32, 6, dim, 300, 0.5, 3e-5);
          resetSearchStats();
          const got = nearestCodewords(data, 200, cb, k, dim);
          expect(Array.from(got)).toEqual(Array.from(nearestCodewordsNaive(data, 200, cb, k, dim)));
          expect(searchStats.uncertain).toBeGreaterThan(0);
        }
      }
    }
  });
});
