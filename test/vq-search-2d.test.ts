import { describe, expect, it } from 'vitest';
import { Grid2D, nearestCodewords2d } from '../src/vq/search-2d.js';
import { nearestCodewords, nearestCodewordsNaive } from '../src/vq/search.js';
import { Rng } from '../src/vq/random.js';

describe('Grid2D exact 2-D search', () => {
  it('agrees with the naive reference on random data, clustered codebooks and far-away queries', () => {
    const rng = new Rng(61);
    for (const k of [1, 2, 5, 64, 1000, 4096]) {
      const cb = new Float32Array(2 * k);
      for (let j = 0; j < k; j++) {
        const cluster = j % 3;
        cb[2 * j] = 5 * cluster + rng.normal() * (cluster + 0.1);
        cb[2 * j + 1] = rng.normal() * 0.5;
      }
      const n = 2000;
      const data = new Float32Array(2 * n);
      for (let i = 0; i < 2 * n; i++) data[i] = rng.normal() * (i % 7 === 0 ? 40 : 4);
      expect(Array.from(nearestCodewords2d(data, n, cb, k))).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, 2)));
    }
  });

  it('resolves exact ties (integer lattice, duplicates) toward the lowest index', () => {
    const rng = new Rng(62);
    const k = 300;
    const cb = new Float32Array(2 * k);
    for (let i = 0; i < 2 * k; i++) cb[i] = rng.int(9) - 4;
    const n = 3000;
    const data = new Float32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) data[i] = (rng.int(21) - 10) / 2;
    expect(Array.from(new Grid2D(cb, k).nearestMany(data, n))).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, 2)));
  });

  it('nearestCodewords dispatches 2-D batches to the grid with identical results', () => {
    const rng = new Rng(63);
    const k = 512, n = 1000;
    const cb = rng.normalArray(2 * k);
    const data = rng.normalArray(2 * n, 2);
    expect(Array.from(nearestCodewords(data, n, cb, k, 2))).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, 2)));
  });

  it('handles a degenerate codebook (all codewords equal)', () => {
    const cb = new Float32Array(20).fill(1.5);
    expect(Array.from(nearestCodewords2d(Float32Array.from([0, 0, 3, 3]), 2, cb, 10))).toEqual([0, 0]);
  });
});
