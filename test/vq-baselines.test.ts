import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { STE } from '../src/vq/ste.js';
import { EMA } from '../src/vq/ema.js';
import { MiniBatchKMeans } from '../src/vq/minibatch-kmeans.js';
import { NSVQ } from '../src/vq/nsvq.js';
import { Rng } from '../src/vq/random.js';
import { trainStep } from '../src/vq/fit.js';
import type { VectorQuantizer } from '../src/vq/types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('baselines share the call shape', () => {
  it('forward → {quantized, indices, loss}; straight-through value equals the hard codeword', () => {
    const rng = new Rng(51);
    const init = rng.normalArray(10 * 3);
    const data = rng.normalArray(20 * 3);
    const x = tf.tensor2d(data, [20, 3]);
    const quantizers: VectorQuantizer[] = [
      new NSVQ({ codebookSize: 10, dim: 3, init }),
      new STE({ codebookSize: 10, dim: 3, init }),
      new EMA({ codebookSize: 10, dim: 3, init }),
      new MiniBatchKMeans({ codebookSize: 10, dim: 3, init }),
    ];
    const ref = quantizers[0].quantize(data, 20);
    for (const q of quantizers) {
      const hard = q.forward(x, { training: false });
      expect(Array.from(hard.indices)).toEqual(Array.from(ref.indices));
      const r = q.forward(x);
      expect(r.quantized.shape).toEqual([20, 3]);
      expect(r.loss.shape).toEqual([]);
      if (q.kind === 'ste') {
        const v = r.quantized.dataSync();
        for (let i = 0; i < 60; i++) expect(v[i]).toBeCloseTo(ref.quantized[i], 6);
        // codebook + β·commitment = 1.25 × MSE at the same codewords
        let m = 0;
        for (let i = 0; i < 60; i++) m += (data[i] - ref.quantized[i]) ** 2;
        expect(r.loss.dataSync()[0]).toBeCloseTo(1.25 * (m / 60), 5);
      }
      q.dispose();
    }
  });

  it('STE: gradient to x is the identity, and the codebook moves toward its inputs', async () => {
    const ste = new STE({ codebookSize: 2, dim: 1, init: Float32Array.from([0, 10]) });
    const x = tf.tensor2d([1, 2, 9], [3, 1]);
    const g = tf.grad((xa: tf.Tensor) => tf.sum(tf.mul(ste.forward(xa as tf.Tensor2D).quantized, tf.tensor2d([1, 2, 3], [3, 1]))))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 2, 3]);
    const opt = tf.train.sgd(0.1);
    trainStep(ste, Float32Array.from([1, 2, 9]), 3, 1, opt);
    const cb = ste.codebookArray();
    expect(cb[0]).toBeGreaterThan(0);
    expect(cb[1]).toBeLessThan(10);
    ste.dispose();
  });

  it('EMA: bias-corrected averages give the batch mean after one step, then decay toward new data', () => {
    const ema = new EMA({ codebookSize: 2, dim: 1, init: Float32Array.from([0, 10]), decay: 0.99 });
    ema.update(Float32Array.from([1, 2, 9, 11]), Int32Array.from([0, 0, 1, 1]));
    expect(Array.from(ema.codebookArray())).toEqual([1.5, 10]);
    ema.update(Float32Array.from([3, 3]), Int32Array.from([0, 0]));
    const c0 = ema.codebookArray()[0];
    expect(c0).toBeGreaterThan(1.5);
    expect(c0).toBeLessThan(3);
    // codeword 1 unused this step keeps its value
    expect(ema.codebookArray()[1]).toBeCloseTo(10, 5);
    expect(ema.trainableVariables()).toEqual([]);
    ema.dispose();
  });

  it('EMA and k-means training lower the quantization MSE through trainStep', () => {
    const rng = new Rng(53);
    const n = 800;
    const data = rng.normalArray(n * 2);
    for (const q of [
      new EMA({ codebookSize: 16, dim: 2, init: rng.normalArray(32, 2), seed: 1 }),
      new MiniBatchKMeans({ codebookSize: 16, dim: 2, init: rng.normalArray(32, 2), seed: 1 }),
    ]) {
      const first = trainStep(q, data, n, 1, null).mse;
      let last = first;
      for (let s = 2; s <= 20; s++) last = trainStep(q, data, n, s, null).mse;
      expect(last).toBeLessThan(0.5 * first);
      q.dispose();
    }
  });

  it('mini-batch k-means: Sculley per-sample updates with 1/v learning rate', () => {
    const km = new MiniBatchKMeans({ codebookSize: 2, dim: 1, init: Float32Array.from([0, 10]), reassignmentRatio: 0 });
    km.update(Float32Array.from([1, 3]), Int32Array.from([0, 0]));
    // first sample: η = 1 → 1; second: η = 1/2 → 2
    expect(km.codebookArray()[0]).toBeCloseTo(2, 6);
    expect(Array.from(km.centreCounts)).toEqual([2, 0]);
    km.update(Float32Array.from([5]), Int32Array.from([0]));
    expect(km.codebookArray()[0]).toBeCloseTo(3, 6); // running mean of 1, 3, 5
    km.dispose();
  });

  it('mini-batch k-means reassignment re-seeds never-used centres onto data', () => {
    const rng = new Rng(52);
    const data = rng.normalArray(200 * 2);
    const init = Float32Array.from([0, 0, 0.5, 0.5, 100, 100, -100, 100]);
    const km = new MiniBatchKMeans({ codebookSize: 4, dim: 2, init, seed: 4 });
    for (let s = 1; s <= 3; s++) trainStep(km, data, 200, s, null);
    const cb = km.codebookArray();
    for (let j = 0; j < 4; j++) expect(Math.hypot(cb[2 * j], cb[2 * j + 1])).toBeLessThan(5);
    const plain = new MiniBatchKMeans({ codebookSize: 4, dim: 2, init, seed: 4, reassignmentRatio: 0 });
    for (let s = 1; s <= 3; s++) trainStep(plain, data, 200, s, null);
    expect(plain.codebookArray()[4]).toBe(100);
    km.dispose();
    plain.dispose();
  });
});
