import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RotationTrick, rotateTo } from '../src/vq/rotation.js';
import { Rng } from '../src/vq/random.js';
import { fit, mseOf, toySetup } from './helpers/vq-fit.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Independent float64 reference: the D×D matrix R = I − 2wwᵀ + 2ĉx̂ᵀ, w = (x̂ + ĉ)/‖x̂ + ĉ‖, and
 * λ = ‖c‖/‖x‖ for one row.
 */
function reference(x: ArrayLike<number>, c: ArrayLike<number>, D: number): { R: Float64Array; lambda: number } {
  const nx = Math.hypot(...Array.from(x));
  const nc = Math.hypot(...Array.from(c));
  const u = Array.from(x, (v) => v / nx);
  const q = Array.from(c, (v) => v / nc);
  const s = u.map((v, i) => v + q[i]);
  const ns = Math.hypot(...s);
  const w = s.map((v) => v / ns);
  const R = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) R[i * D + j] = (i === j ? 1 : 0) - 2 * w[i] * w[j] + 2 * q[i] * u[j];
  return { R, lambda: nc / nx };
}

describe('rotation trick', () => {
  const D = 5;
  const B = 8;

  it('the reference R is a rotation taking x̂ to ĉ (checks the reference itself)', () => {
    const rng = new Rng(2);
    const x = rng.normalArray(D);
    const c = rng.normalArray(D);
    const { R } = reference(x, c, D);
    const nx = Math.hypot(...Array.from(x));
    const nc = Math.hypot(...Array.from(c));
    for (let i = 0; i < D; i++) {
      let rx = 0;
      for (let j = 0; j < D; j++) rx += R[i * D + j] * (x[j] / nx);
      expect(rx).toBeCloseTo(c[i] / nc, 6);
      for (let k = 0; k < D; k++) {
        let rtr = 0;
        for (let j = 0; j < D; j++) rtr += R[j * D + i] * R[j * D + k];
        expect(rtr).toBeCloseTo(i === k ? 1 : 0, 6);
      }
    }
  });

  it('λRx maps x to c in the forward pass; the quantizer output is exactly the codeword', () => {
    const rng = new Rng(3);
    const xs = rng.normalArray(B * D, 3);
    const cs = rng.normalArray(B * D);
    const v = rotateTo(tf.tensor2d(xs, [B, D]), tf.tensor2d(cs, [B, D])).dataSync();
    for (let i = 0; i < B * D; i++) expect(Math.abs(v[i] - cs[i])).toBeLessThan(1e-5 * (1 + Math.abs(cs[i])));

    const init = rng.normalArray(6 * D);
    const vq = new RotationTrick({ codebookSize: 6, dim: D, init });
    const r = vq.forward(tf.tensor2d(xs, [B, D]));
    const hard = vq.quantize(xs, B);
    expect(Array.from(r.indices)).toEqual(Array.from(hard.indices));
    expect(Array.from(r.quantized.dataSync())).toEqual(Array.from(hard.quantized));
    vq.dispose();
  });

  it('gradient to x is λ·Rᵀ·g (the output gradient rotated back and scaled), norm λ‖g‖', () => {
    const rng = new Rng(4);
    const xs = rng.normalArray(B * D, 3);
    const init = rng.normalArray(6 * D);
    const g = rng.normalArray(B * D);
    const vq = new RotationTrick({ codebookSize: 6, dim: D, init });
    const gT = tf.tensor2d(g, [B, D]);
    const gx = tf.grad((xa: tf.Tensor) => tf.sum(tf.mul(vq.forward(xa as tf.Tensor2D).quantized, gT)))(tf.tensor2d(xs, [B, D])).dataSync();
    const hard = vq.quantize(xs, B);
    for (let b = 0; b < B; b++) {
      const { R, lambda } = reference(xs.subarray(b * D, (b + 1) * D), hard.quantized.subarray(b * D, (b + 1) * D), D);
      let gn = 0;
      let outN = 0;
      for (let j = 0; j < D; j++) {
        let want = 0;
        for (let i = 0; i < D; i++) want += R[i * D + j] * g[b * D + i]; // (Rᵀg)_j
        expect(gx[b * D + j]).toBeCloseTo(lambda * want, 4);
        gn += g[b * D + j] ** 2;
        outN += gx[b * D + j] ** 2;
      }
      expect(Math.sqrt(outN)).toBeCloseTo(lambda * Math.sqrt(gn), 4);
    }
    vq.dispose();
  });

  it('the codebook learns only from the codebook loss: no gradient through the output, 2(c − x)/(B·D) from the loss', () => {
    const rng = new Rng(6);
    const xs = rng.normalArray(B * D, 2);
    const init = rng.normalArray(4 * D);
    const vq = new RotationTrick({ codebookSize: 4, dim: D, init });
    const x = tf.tensor2d(xs, [B, D]);
    const g = tf.tensor2d(rng.normalArray(B * D), [B, D]);
    const out = tf.variableGrads(() => tf.sum(tf.mul(vq.forward(x).quantized, g)) as tf.Scalar, [vq.codebook]);
    for (const v of out.grads[vq.codebook.name].dataSync()) expect(v).toBe(0);
    const aux = tf.variableGrads(() => vq.forward(x).loss, [vq.codebook]);
    const ga = aux.grads[vq.codebook.name].dataSync();
    const hard = vq.quantize(xs, B);
    const want = new Float64Array(4 * D);
    for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) want[hard.indices[b] * D + d] += (2 * (hard.quantized[b * D + d] - xs[b * D + d])) / (B * D);
    let nonzero = 0;
    for (let i = 0; i < 4 * D; i++) {
      expect(ga[i]).toBeCloseTo(want[i], 5);
      if (ga[i] !== 0) nonzero++;
    }
    expect(nonzero).toBeGreaterThan(0);
    vq.dispose();
  });

  it('a short toy fit lowers the quantization error from its start', () => {
    const n = 2000;
    const { data, init } = toySetup(n, 16, 41);
    const vq = new RotationTrick({ codebookSize: 16, dim: 2, init, seed: 2 });
    const before = mseOf(data, vq.quantize(data, n));
    fit(vq, data, n, 200, 60, 0.05);
    expect(mseOf(data, vq.quantize(data, n))).toBeLessThan(0.7 * before);
    vq.dispose();
  });
});
