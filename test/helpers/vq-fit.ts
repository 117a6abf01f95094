/** Shared helpers of the estimator tests: a short toy fit and the hard-quantization MSE. */
import * as tf from '@tensorflow/tfjs';
import { trainStep } from '../../src/vq/fit.js';
import { Rng } from '../../src/vq/random.js';
import { initFromData, toyData } from '../../src/vq/toy-data.js';
import type { CodebookQuantizer } from '../../src/vq/base.js';
import type { HardQuantization } from '../../src/vq/types.js';

/** Mean over elements of (x − Q(x))². */
export function mseOf(data: Float32Array, q: HardQuantization): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += (data[i] - q.quantized[i]) ** 2;
  return s / data.length;
}

/** 2-D moons data (seeded) and a start from data samples + N(0, 1), as in the toy study. */
export function toySetup(n: number, k: number, seed: number): { data: Float32Array; init: Float32Array } {
  const data = toyData('moons', n, new Rng(seed));
  return { data, init: initFromData(data, n, k, 2, new Rng(seed + 1)) };
}

/** Trains `vq` for `steps` Adam steps on batches drawn in order from data; returns nothing. */
export function fit(vq: CodebookQuantizer, data: Float32Array, n: number, batch: number, steps: number, lr: number): void {
  const opt = tf.train.adam(lr);
  for (let s = 1; s <= steps; s++) {
    const start = ((s - 1) * batch) % (n - batch + 1);
    trainStep(vq, data.subarray(start * 2, (start + batch) * 2), batch, s, opt);
  }
  opt.dispose();
}
