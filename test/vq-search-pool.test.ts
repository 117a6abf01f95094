import { afterAll, describe, expect, it } from 'vitest';
// The worker script must be compiled JS, so this suite runs against dist/ (npm test builds first).
import { SearchPool, nearestCodewordsParallel } from '../dist/src/vq/search-pool.js';
import { nearestCodewordsNaive } from '../src/vq/search.js';
import { Rng } from '../src/vq/random.js';

const pool = new SearchPool(3);
afterAll(() => pool.close());

describe('SearchPool (worker threads)', () => {
  it('agrees exactly with the naive search on a large batch, including ties', async () => {
    const rng = new Rng(11);
    const dim = 16, k = 512, n = 3001;
    const cb = new Float32Array(k * dim);
    for (let i = 0; i < cb.length; i++) cb[i] = rng.int(5) - 2; // small grid → many exact ties
    const data = new Float32Array(n * dim);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(5) - 2;
    const got = await pool.nearest(data, n, cb, k, dim);
    expect(Array.from(got)).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, dim)));
  });

  it('agrees exactly on continuous data for an odd dimension', async () => {
    const rng = new Rng(12);
    const dim = 5, k = 300, n = 2000;
    const cb = rng.normalArray(k * dim);
    const data = rng.normalArray(n * dim);
    const out = new Int32Array(n);
    const got = await nearestCodewordsParallel(data, n, cb, k, dim, out, 2);
    expect(got).toBe(out);
    expect(Array.from(got)).toEqual(Array.from(nearestCodewordsNaive(data, n, cb, k, dim)));
  });
});
