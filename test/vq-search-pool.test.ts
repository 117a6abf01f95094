import { afterAll, describe, expect, it } from 'vitest';
// The worker script must be compiled JS, so this suite runs against dist/ (npm test builds first).
import { SearchPool, nearestCodewordsParallel } from '../dist/src/vq/search-pool.js';
import { nearestCodewordsNaive } from '../src/vq/search.js';
import { Rng } from '../src/vq/random.js';
import * as tf from '@tensorflow/tfjs';
import { MultiStageNSVQ, sequentialSearch } from '../src/vq/msvq.js';

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

  it('MultiStageNSVQ.searchParallel equals the sequential search; forward masks precomputed indices', async () => {
    await tf.setBackend('cpu');
    const rng = new Rng(13);
    const S = 3, K = 256, D = 16, n = 1500;
    const init = [rng.normalArray(K * D), rng.normalArray(K * D, 0.5), rng.normalArray(K * D, 0.25)];
    const data = rng.normalArray(n * D);
    const vq = new MultiStageNSVQ({ stages: S, codebookSize: K, dim: D, init, seed: 4 });
    const par = await vq.searchParallel(data, n, pool);
    const seq = sequentialSearch(data, n, init, K, D);
    for (let s = 0; s < S; s++) expect(Array.from(par[s])).toEqual(Array.from(seq[s]));
    const r = vq.forward(tf.tensor2d(data, [n, D]), { indices: par });
    for (let b = 0; b < n; b++) for (let s = 0; s < S; s++) expect(r.indices[s][b]).toBe(s < r.stagesUsed[b] ? seq[s][b] : -1);
    vq.dispose();
  });
});
