import { describe, expect, it } from 'vitest';
import { msvqQuantize, trainResidualKMeans } from '../src/vq/residual-kmeans.js';
import { Rng } from '../src/vq/random.js';

/** Clustered 8-D data: 40 Gaussian blobs with different spreads, so k-means has work to do. */
function blobs(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = rng.normalArray(40 * dim, 3);
  const x = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const c = rng.int(40);
    const spread = 0.2 + (c % 5) * 0.2;
    for (let d = 0; d < dim; d++) x[r * dim + d] = centres[c * dim + d] + spread * rng.normal();
  }
  return x;
}

describe('residual k-means', () => {
  const dim = 8;
  const n = 3000;
  const data = blobs(n, dim, 5);

  it('lowers the distortion stage by stage and matches greedy MSVQ encoding', async () => {
    const trace: number[][] = [[], [], [], []];
    const res = await trainResidualKMeans(data, n, dim, {
      stages: 4, bits: 5, maxIterations: 30, seed: 3, onIteration: (i) => trace[i.stage].push(i.distortion),
    });
    // Lloyd iterations never increase the distortion, and they improve on the sampled init.
    for (const t of trace) {
      expect(t.length).toBeGreaterThan(1);
      for (let i = 1; i < t.length; i++) expect(t[i]).toBeLessThanOrEqual(t[i - 1] * (1 + 1e-9));
      expect(t[t.length - 1]).toBeLessThan(0.95 * t[0]);
    }
    expect(res.codebooks.length).toBe(4);
    expect(res.stages.length).toBe(4);
    let prev = res.initialDistortion;
    for (const st of res.stages) {
      expect(st.distortion).toBeLessThan(prev);
      expect(st.perplexity).toBeGreaterThan(1);
      expect(st.perplexity).toBeLessThanOrEqual(32 + 1e-9);
      prev = st.distortion;
    }
    expect(res.stages[0].distortion).toBeLessThan(0.25 * res.initialDistortion);
    // Encoding the training data greedily reproduces the reported final distortion.
    const { reconstruction, indices } = msvqQuantize(data, n, dim, res.codebooks);
    let err = 0;
    for (let i = 0; i < n * dim; i++) err += (data[i] - reconstruction[i]) ** 2;
    expect(err / n).toBeCloseTo(res.stages[3].distortion, 3);
    let rms = 0;
    for (let r = 0; r < n; r++) {
      let e = 0;
      for (let d = 0; d < dim; d++) e += (data[r * dim + d] - reconstruction[r * dim + d]) ** 2;
      rms += Math.sqrt(e / dim);
    }
    expect(rms / n).toBeCloseTo(res.stages[3].meanRms, 3);
    expect(indices.length).toBe(n * 4);
    for (const j of indices) expect(j >= 0 && j < 32).toBe(true);
    // Fewer stages → more distortion.
    const two = msvqQuantize(data, n, dim, res.codebooks, 2).reconstruction;
    let err2 = 0;
    for (let i = 0; i < n * dim; i++) err2 += (data[i] - two[i]) ** 2;
    expect(err2 / n).toBeCloseTo(res.stages[1].distortion, 3);
  });

  it('is deterministic for a seed and depends on it', async () => {
    const a = await trainResidualKMeans(data, n, dim, { stages: 2, bits: 4, seed: 11, maxIterations: 10 });
    const b = await trainResidualKMeans(data, n, dim, { stages: 2, bits: 4, seed: 11, maxIterations: 10 });
    const c = await trainResidualKMeans(data, n, dim, { stages: 2, bits: 4, seed: 12, maxIterations: 10 });
    for (let s = 0; s < 2; s++) expect(Buffer.from(a.codebooks[s].buffer).equals(Buffer.from(b.codebooks[s].buffer))).toBe(true);
    expect(Buffer.from(a.codebooks[0].buffer).equals(Buffer.from(c.codebooks[0].buffer))).toBe(false);
  });

  it('re-seeds empty clusters so every codeword is used', async () => {
    // 4 distinct points repeated, 8 codewords: the duplicates start empty and must be re-seeded
    // onto real points; with only 4 distinct values some stay unused, but the count is reported.
    const pts = new Float32Array(400 * 2);
    const rng = new Rng(1);
    for (let r = 0; r < 400; r++) { pts[2 * r] = rng.int(4) + 0.01 * rng.normal(); pts[2 * r + 1] = rng.normal() * 0.01; }
    const res = await trainResidualKMeans(pts, 400, 2, { stages: 1, bits: 3, seed: 2 });
    expect(res.stages[0].unused).toBe(0);
    expect(res.stages[0].distortion).toBeLessThan(res.initialDistortion * 0.01);
  });

  it('rejects too little data', async () => {
    await expect(trainResidualKMeans(data, 10, dim, { stages: 1, bits: 5 })).rejects.toThrow(/at least 32/);
  });
});
