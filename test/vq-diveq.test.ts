import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiVeQ, diveq } from '../src/vq/diveq.js';
import { Rng } from '../src/vq/random.js';
import { fit, mseOf, toySetup } from './helpers/vq-fit.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 12;
const D = 3;
const K = 5;

function setup(seed: number) {
  const rng = new Rng(seed);
  return { rng, init: rng.normalArray(K * D), data: rng.normalArray(B * D, 2) };
}

describe('DiVeQ', () => {
  it('forward value is the hard codeword (exactly without noise, within the noise with it), error norm kept', () => {
    const { init, data } = setup(3);
    const x = tf.tensor2d(data, [B, D]);
    const noiseless = new DiVeQ({ codebookSize: K, dim: D, init, noiseStd: 0 });
    const hard = noiseless.quantize(data, B);
    const v0 = noiseless.forward(x).quantized.dataSync();
    for (let i = 0; i < B * D; i++) expect(Math.abs(v0[i] - hard.quantized[i])).toBeLessThan(1e-5);

    const noisy = new DiVeQ({ codebookSize: K, dim: D, init, noiseStd: 1e-3, seed: 9 });
    const r = noisy.forward(x);
    expect(Array.from(r.indices)).toEqual(Array.from(hard.indices));
    expect(r.loss.dataSync()[0]).toBe(0);
    const v = r.quantized.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < B * D; i++) maxDiff = Math.max(maxDiff, Math.abs(v[i] - hard.quantized[i]));
    expect(maxDiff).toBeGreaterThan(0); // the noise is there…
    expect(maxDiff).toBeLessThan(1e-2); // …and small (σ = 1e-3)
    // ‖x̂ − x‖ = ‖c − x‖ row by row: only the direction is perturbed.
    for (let b = 0; b < B; b++) {
      let e1 = 0;
      let e2 = 0;
      for (let d = 0; d < D; d++) {
        e1 += (v[b * D + d] - data[b * D + d]) ** 2;
        e2 += (hard.quantized[b * D + d] - data[b * D + d]) ** 2;
      }
      expect(Math.sqrt(e1)).toBeCloseTo(Math.sqrt(e2), 4);
    }
    noiseless.dispose();
    noisy.dispose();
  });

  it('gradients flow through the magnitude only: ∂/∂x = g − (g·n)n, ∂/∂c = (g·n)n with n = (c − x)/‖c − x‖', () => {
    const { rng, init, data } = setup(4);
    const vq = new DiVeQ({ codebookSize: K, dim: D, init, noiseStd: 0 });
    const g = rng.normalArray(B * D);
    const x = tf.tensor2d(data, [B, D]);
    const gT = tf.tensor2d(g, [B, D]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(vq.forward(x).quantized, gT)) as tf.Scalar, [vq.codebook]);
    value.dispose();
    const gx = tf.grad((xa: tf.Tensor) => tf.sum(tf.mul(vq.forward(xa as tf.Tensor2D).quantized, gT)))(x).dataSync();
    const gc = grads[vq.codebook.name].dataSync();
    const hard = vq.quantize(data, B);
    const expectC = new Float64Array(K * D);
    for (let b = 0; b < B; b++) {
      const n = new Float64Array(D);
      let m = 0;
      for (let d = 0; d < D; d++) {
        n[d] = hard.quantized[b * D + d] - data[b * D + d];
        m += n[d] ** 2;
      }
      m = Math.sqrt(m);
      let gn = 0;
      for (let d = 0; d < D; d++) {
        n[d] /= m;
        gn += g[b * D + d] * n[d];
      }
      for (let d = 0; d < D; d++) {
        expect(gx[b * D + d]).toBeCloseTo(g[b * D + d] - gn * n[d], 4);
        expectC[hard.indices[b] * D + d] += gn * n[d];
      }
    }
    let nonzero = 0;
    for (let i = 0; i < K * D; i++) {
      expect(Number.isFinite(gc[i])).toBe(true);
      expect(gc[i]).toBeCloseTo(expectC[i], 4);
      if (gc[i] !== 0) nonzero++;
    }
    expect(nonzero).toBeGreaterThan(0);
    vq.dispose();
  });

  it('pure function: diveq(x, c, ε) with ε = 0 returns c; an input on its codeword gets a finite gradient', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const c = tf.tensor2d([1, 2, 0, 0], [2, 2]); // row 0: x = c
    const eps = tf.zeros([2, 2]) as tf.Tensor2D;
    const v = diveq(x, c, eps).dataSync();
    [1, 2, 0, 0].forEach((want, i) => expect(v[i]).toBeCloseTo(want, 5));
    const gx = tf.grad((xa: tf.Tensor) => tf.sum(diveq(xa as tf.Tensor2D, c, eps)))(x).dataSync();
    for (const v of gx) expect(Number.isFinite(v)).toBe(true);
  });

  it('a short toy fit lowers the quantization error from its start', () => {
    const n = 2000;
    const { data, init } = toySetup(n, 16, 21);
    const vq = new DiVeQ({ codebookSize: 16, dim: 2, init, seed: 2 });
    const before = mseOf(data, vq.quantize(data, n));
    fit(vq, data, n, 200, 60, 0.05);
    const after = mseOf(data, vq.quantize(data, n));
    expect(after).toBeLessThan(0.7 * before);
    vq.dispose();
  });
});
