import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SFDiVeQ, ditheredPoints, nearestOnSegments, sfDiveq } from '../src/vq/sf-diveq.js';
import { Rng } from '../src/vq/random.js';
import { fit, mseOf, toySetup } from './helpers/vq-fit.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Squared distance from x to segment [a, b] (float64), for checks. */
function segDist2(x: ArrayLike<number>, xo: number, cb: Float32Array, i: number, dim: number): number {
  let dot = 0;
  let len2 = 0;
  for (let d = 0; d < dim; d++) {
    const v = cb[(i + 1) * dim + d] - cb[i * dim + d];
    dot += (x[xo + d] - cb[i * dim + d]) * v;
    len2 += v * v;
  }
  const t = len2 > 0 ? Math.min(1, Math.max(0, dot / len2)) : 0;
  let s = 0;
  for (let d = 0; d < dim; d++) s += (x[xo + d] - (cb[i * dim + d] + t * (cb[(i + 1) * dim + d] - cb[i * dim + d]))) ** 2;
  return s;
}

describe('SF-DiVeQ', () => {
  it('nearestOnSegments on a hand-made curve', () => {
    const cb = Float32Array.from([0, 0, 1, 0, 1, 1]); // (0,0) – (1,0) – (1,1)
    const x = Float32Array.from([0.5, -0.3, 0.5, 2, 2, 0.5, -1, -1]);
    const p = nearestOnSegments(x, 4, cb, 3, 2);
    expect(Array.from(p.segments)).toEqual([0, 1, 1, 0]);
    expect(Array.from(p.t)).toEqual([0.5, 1, 0.5, 0]);
    expect(Array.from(p.points)).toEqual([0.5, 0, 1, 1, 1, 0.5, 0, 0]);
  });

  it('nearestOnSegments is the nearest point on the segments (brute force over a fine grid of every segment)', () => {
    const rng = new Rng(17);
    const K = 7;
    const D = 3;
    const n = 60;
    const cb = rng.normalArray(K * D);
    cb.set(cb.subarray(2 * D, 3 * D), 3 * D); // one zero-length segment
    const data = rng.normalArray(n * D, 2); // many points beyond the ends of segments
    const p = nearestOnSegments(data, n, cb, K, D);
    const STEPS = 2000;
    for (let r = 0; r < n; r++) {
      let ref = Infinity;
      for (let i = 0; i < K - 1; i++) {
        for (let s = 0; s <= STEPS; s++) {
          const t = s / STEPS;
          let d2 = 0;
          for (let d = 0; d < D; d++) d2 += (data[r * D + d] - ((1 - t) * cb[i * D + d] + t * cb[(i + 1) * D + d])) ** 2;
          ref = Math.min(ref, d2);
        }
      }
      let got = 0;
      for (let d = 0; d < D; d++) got += (data[r * D + d] - p.points[r * D + d]) ** 2;
      expect(got).toBeLessThanOrEqual(ref + 1e-5); // never worse than any sampled point…
      expect(got).toBeGreaterThan(ref - 1e-3); // …and the grid gets within its spacing of it
      expect(p.t[r]).toBeGreaterThanOrEqual(0);
      expect(p.t[r]).toBeLessThanOrEqual(1);
      // The reported point is (1 − t)c_i + t c_{i+1} on the reported segment.
      const i = p.segments[r];
      for (let d = 0; d < D; d++) expect(p.points[r * D + d]).toBeCloseTo((1 - p.t[r]) * cb[i * D + d] + p.t[r] * cb[(i + 1) * D + d], 5);
    }
  });

  it('training forward: the dithered point on the returned segment (within the noise), inference on the curve', () => {
    const rng = new Rng(5);
    const K = 6;
    const D = 2;
    const B = 40;
    const init = rng.normalArray(K * D);
    const data = rng.normalArray(B * D);
    const vq = new SFDiVeQ({ codebookSize: K, dim: D, init, noiseStd: 0, seed: 3 });
    const x = tf.tensor2d(data, [B, D]);
    const r = vq.forward(x);
    const v = r.quantized.dataSync();
    const curve = nearestOnSegments(data, B, init, K, D);
    for (let b = 0; b < B; b++) {
      expect(r.indices[b]).toBeGreaterThanOrEqual(0);
      expect(r.indices[b]).toBeLessThan(K - 1);
      expect(segDist2(v, b * D, init, r.indices[b], D)).toBeLessThan(1e-9); // on its segment
      let e = 0;
      for (let d = 0; d < D; d++) e += (v[b * D + d] - data[b * D + d]) ** 2;
      let c = 0;
      for (let d = 0; d < D; d++) c += (curve.points[b * D + d] - data[b * D + d]) ** 2;
      expect(e).toBeGreaterThanOrEqual(c - 1e-6); // no closer than the nearest point on the curve
    }
    const hard = vq.forward(x, { training: false });
    expect(Array.from(hard.indices)).toEqual(Array.from(curve.segments));
    const hv = hard.quantized.dataSync();
    for (let i = 0; i < B * D; i++) expect(hv[i]).toBeCloseTo(curve.points[i], 5);
    const q = vq.quantize(data, B);
    expect(Array.from(q.quantized)).toEqual(Array.from(curve.points));
    vq.dispose();
  });

  it('pure function: value (1 − λ)c0 + λc1 without noise; gradients reach x, c0 and c1', () => {
    const rng = new Rng(8);
    const B = 5;
    const D = 4;
    const x = tf.tensor2d(rng.normalArray(B * D), [B, D]);
    const c0 = tf.tensor2d(rng.normalArray(B * D), [B, D]);
    const c1 = tf.tensor2d(rng.normalArray(B * D), [B, D]);
    const lamArr = Float32Array.from([0.1, 0.5, 0.9, 0.3, 0.7]);
    const lam = tf.tensor2d(lamArr, [B, 1]);
    const zero = tf.zeros([B, D]) as tf.Tensor2D;
    const v = sfDiveq(x, c0, c1, lam, zero, zero).dataSync();
    const a0 = c0.dataSync();
    const a1 = c1.dataSync();
    for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) expect(v[b * D + d]).toBeCloseTo((1 - lamArr[b]) * a0[b * D + d] + lamArr[b] * a1[b * D + d], 5);
    const g = tf.tensor2d(rng.normalArray(B * D), [B, D]);
    const grads = tf.grads((xa: tf.Tensor, ca: tf.Tensor, cb: tf.Tensor) => tf.sum(tf.mul(sfDiveq(xa as tf.Tensor2D, ca as tf.Tensor2D, cb as tf.Tensor2D, lam, zero, zero), g)))([x, c0, c1]);
    for (const gr of grads) {
      const a = gr.dataSync();
      let norm = 0;
      for (const e of a) {
        expect(Number.isFinite(e)).toBe(true);
        norm += e * e;
      }
      expect(norm).toBeGreaterThan(1e-6);
    }
  });

  it('codebook gradient: only the two ends of the selected segments receive one', () => {
    const K = 8;
    const cb = new Float32Array(K * 2);
    for (let j = 0; j < K; j++) cb.set([j, 0], j * 2); // a straight line 0…7 on the x axis
    const vq = new SFDiVeQ({ codebookSize: K, dim: 2, init: cb, seed: 1 });
    const x = tf.tensor2d([2.5, 1, 2.4, -1], [2, 2]); // both near segment [2, 3]
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(x, vq.forward(x).quantized))) as tf.Scalar, [vq.codebook]);
    value.dispose();
    const g = grads[vq.codebook.name].dataSync();
    for (let j = 0; j < K; j++) {
      const gn = Math.hypot(g[2 * j], g[2 * j + 1]);
      expect(Number.isFinite(gn)).toBe(true);
      if (j === 2 || j === 3) expect(gn).toBeGreaterThan(0);
      else expect(gn).toBe(0);
    }
    vq.dispose();
  });

  it('ditheredPoints interpolates consecutive codewords', () => {
    const cb = Float32Array.from([0, 0, 2, 0, 2, 4]);
    expect(Array.from(ditheredPoints(cb, 3, 2, Float32Array.from([0.25, 0.5])))).toEqual([0.5, 0, 2, 2]);
  });

  it('a short toy fit lowers the quantization error (on the curve and to the codewords) from its start', () => {
    const n = 2000;
    const { data, init } = toySetup(n, 16, 31);
    const vq = new SFDiVeQ({ codebookSize: 16, dim: 2, init, seed: 2 });
    const curveBefore = mseOf(data, vq.quantize(data, n));
    const cwBefore = mseOf(data, vq.quantizeToCodewords(data, n));
    fit(vq, data, n, 200, 60, 0.05);
    expect(mseOf(data, vq.quantize(data, n))).toBeLessThan(0.7 * curveBefore);
    expect(mseOf(data, vq.quantizeToCodewords(data, n))).toBeLessThan(0.7 * cwBefore);
    vq.dispose();
  });
});
