import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiStageNSVQ, mBestSearch, reconstruct, sequentialSearch } from '../src/vq/msvq.js';
import { nearestCodewordsNaive } from '../src/vq/search.js';
import { Rng } from '../src/vq/random.js';
import { trainStep } from '../src/vq/fit.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

describe('MultiStageNSVQ structure', () => {
  const rng = new Rng(41);
  const S = 3, K = 16, D = 4, n = 120;
  const init = [rng.normalArray(K * D), rng.normalArray(K * D, 0.5), rng.normalArray(K * D, 0.25)];
  const data = rng.normalArray(n * D);

  it('stage i quantizes residual i, and the reconstruction is the sum of selected codewords', () => {
    const vq = new MultiStageNSVQ({ stages: S, codebookSize: K, dim: D, init, stageDropout: false });
    const q = vq.quantize(data, n);
    let residual = data.slice();
    const sum = new Float32Array(n * D);
    for (let s = 0; s < S; s++) {
      const naive = nearestCodewordsNaive(residual, n, init[s], K, D);
      expect(Array.from(q.indices[s])).toEqual(Array.from(naive));
      const next = residual.slice();
      for (let r = 0; r < n; r++) for (let i = 0; i < D; i++) {
        next[r * D + i] -= init[s][naive[r] * D + i];
        sum[r * D + i] += init[s][naive[r] * D + i];
      }
      residual = next;
    }
    expect(Array.from(q.quantized)).toEqual(Array.from(sum));
    // hard forward gives the same reconstruction as a tensor
    const f = vq.forward(tf.tensor2d(data, [n, D]), { training: false });
    const fq = f.quantized.dataSync();
    for (let i = 0; i < n * D; i++) expect(fq[i]).toBeCloseTo(sum[i], 5);
    // more stages → lower distortion
    expect(mse(data, vq.quantize(data, n, 3).quantized)).toBeLessThan(mse(data, vq.quantize(data, n, 1).quantized));
    vq.dispose();
  });

  it('noise substitution acts on the total error: ‖x̂′ − x‖ = ‖x − Σ c_i‖', () => {
    const vq = new MultiStageNSVQ({ stages: S, codebookSize: K, dim: D, init, stageDropout: false, seed: 9 });
    const r = vq.forward(tf.tensor2d(data, [n, D]));
    const out = r.quantized.dataSync();
    const recon = reconstruct(r.indices, init, n, D);
    for (let b = 0; b < n; b++) {
      let e = 0, s = 0;
      for (let i = 0; i < D; i++) {
        e += (data[b * D + i] - recon[b * D + i]) ** 2;
        s += (out[b * D + i] - data[b * D + i]) ** 2;
      }
      expect(Math.sqrt(s)).toBeCloseTo(Math.sqrt(e), 4);
    }
    vq.dispose();
  });

  it('weighted: stages search ‖w⊙(r − c)‖ and x̂′ keeps the weighted total error norm', () => {
    const vq = new MultiStageNSVQ({ stages: 2, codebookSize: K, dim: D, init: init.slice(0, 2), stageDropout: false, seed: 12 });
    const w = Float32Array.from({ length: n * D }, (_, i) => 0.3 + ((i * 7919) % 13) / 6);
    const r = vq.forward(tf.tensor2d(data, [n, D]), { weights: tf.tensor2d(w, [n, D]) });
    const out = r.quantized.dataSync();
    // stage 0: weighted nearest of x; stage 1: weighted nearest of the residual
    const resid = data.slice();
    for (let s = 0; s < 2; s++) {
      for (let b = 0; b < n; b++) {
        let best = -1, bestD = Infinity;
        for (let j = 0; j < K; j++) {
          let d = 0;
          for (let i = 0; i < D; i++) d += (w[b * D + i] * (resid[b * D + i] - init[s][j * D + i])) ** 2;
          if (d < bestD) { bestD = d; best = j; }
        }
        expect(r.indices[s][b]).toBe(best);
      }
      for (let b = 0; b < n; b++) for (let i = 0; i < D; i++) resid[b * D + i] -= init[s][r.indices[s][b] * D + i];
    }
    for (let b = 0; b < n; b++) {
      let e = 0, sub = 0;
      for (let i = 0; i < D; i++) {
        e += (w[b * D + i] * resid[b * D + i]) ** 2;
        sub += (w[b * D + i] * (out[b * D + i] - data[b * D + i])) ** 2;
      }
      expect(Math.sqrt(sub)).toBeCloseTo(Math.sqrt(e), 4);
    }
    vq.dispose();
  });

  it('stage dropout truncates rows to k ∈ {1…S} stages; dropped stages get index −1 and no gradient', () => {
    const vq = new MultiStageNSVQ({ stages: S, codebookSize: K, dim: D, init, seed: 10 });
    const x = tf.tensor2d(data, [n, D]);
    let captured: { indices: Int32Array[]; stagesUsed: Int32Array } | null = null;
    const { grads } = tf.variableGrads(() => {
      const r = vq.forward(x);
      captured = r;
      return tf.mean(tf.square(tf.sub(x, r.quantized))) as tf.Scalar;
    }, vq.trainableVariables());
    const { indices, stagesUsed } = captured as unknown as { indices: Int32Array[]; stagesUsed: Int32Array };
    const seen = new Set(stagesUsed);
    expect([...seen].sort()).toEqual([1, 2, 3]);
    for (let r = 0; r < n; r++) {
      for (let s = 0; s < S; s++) expect(indices[s][r] >= 0).toBe(s < stagesUsed[r]);
      // the kept stages are the sequential search of that depth
      const solo = sequentialSearch(data.subarray(r * D, (r + 1) * D), 1, init.slice(0, stagesUsed[r]), K, D);
      for (let s = 0; s < stagesUsed[r]; s++) expect(indices[s][r]).toBe(solo[s][0]);
    }
    // gradient only reaches codewords that some row actually used at that stage
    for (let s = 0; s < S; s++) {
      const g = grads[vq.codebooks[s].name].dataSync();
      const used = new Set(Array.from(indices[s]).filter((j) => j >= 0));
      for (let j = 0; j < K; j++) {
        let mag = 0;
        for (let i = 0; i < D; i++) mag += Math.abs(g[j * D + i]);
        if (!used.has(j)) expect(mag).toBe(0);
      }
      expect(used.size).toBeGreaterThan(0);
    }
    // explicit stage count overrides dropout
    const r3 = vq.forward(x, { stages: 2 });
    expect(Array.from(new Set(r3.stagesUsed))).toEqual([2]);
    expect(r3.indices[2].every((j) => j === -1)).toBe(true);
    vq.dispose();
  });

  it('M-best search: M = 1 equals sequential; larger M never worse on average', () => {
    const seq = sequentialSearch(data, n, init, K, D);
    const m1 = mBestSearch(data, n, init, K, D, 1);
    for (let s = 0; s < S; s++) expect(Array.from(m1[s])).toEqual(Array.from(seq[s]));
    const m4 = mBestSearch(data, n, init, K, D, 4);
    const dSeq = mse(data, reconstruct(seq, init, n, D));
    const d4 = mse(data, reconstruct(m4, init, n, D));
    expect(d4).toBeLessThan(dSeq);
    const vq = new MultiStageNSVQ({ stages: S, codebookSize: K, dim: D, init, mBest: 4 });
    const q = vq.quantize(data, n);
    for (let s = 0; s < S; s++) expect(Array.from(q.indices[s])).toEqual(Array.from(m4[s]));
    vq.dispose();
  });
});

describe('MultiStageNSVQ training with stage dropout', () => {
  it('joint training makes every prefix k a good quantizer', async () => {
    const rng = new Rng(42);
    const n = 1024, D = 2, K = 8;
    const data = rng.normalArray(n * D);
    const vq = new MultiStageNSVQ({ stages: 2, codebookSize: K, dim: D, seed: 3, init: [rng.normalArray(K * D, 2), rng.normalArray(K * D, 1)], replacement: { totalSteps: 150, threshold: 0.05 } });
    const before = [1, 2].map((k) => mse(data, vq.quantize(data, n, k).quantized));
    const opt = tf.train.adam(0.02);
    for (let s = 1; s <= 150; s++) trainStep(vq, data, n, s, opt);
    const after = [1, 2].map((k) => mse(data, vq.quantize(data, n, k).quantized));
    expect(after[0]).toBeLessThan(0.6 * before[0]);
    expect(after[1]).toBeLessThan(0.6 * before[1]);
    expect(after[1]).toBeLessThan(after[0]);
    // 8 codewords on a 2-D unit Gaussian: one stage alone should be near the Lloyd–Max value (~0.18 per dim)
    expect(after[0]).toBeLessThan(0.3);
    vq.dispose();
    opt.dispose();
  });
});
