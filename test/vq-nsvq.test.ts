import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NSVQ, noiseSubstitution } from '../src/vq/nsvq.js';
import { selectRows } from '../src/vq/select.js';
import { nearestCodewordsNaive } from '../src/vq/search.js';
import { Rng } from '../src/vq/random.js';
import { trainStep } from '../src/vq/fit.js';

const B = 6, D = 4, K = 5;

function rowNorm(a: Float32Array | Float64Array, r: number, w?: Float32Array): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += ((w ? w[r * D + i] : 1) * a[r * D + i]) ** 2;
  return Math.sqrt(s);
}

/** Eq. 9 loss L = Σ g ⊙ x̂'(x, C) in float64, for finite differences. */
function loss64(x: Float64Array, C: Float64Array, idx: Int32Array, v: Float32Array, g: Float32Array, w?: Float32Array): number {
  let L = 0;
  for (let b = 0; b < B; b++) {
    let e2 = 0, v2 = 0;
    for (let i = 0; i < D; i++) {
      const wi = w ? w[b * D + i] : 1;
      e2 += (wi * (x[b * D + i] - C[idx[b] * D + i])) ** 2;
      v2 += v[b * D + i] ** 2;
    }
    const scale = Math.sqrt(e2) / Math.sqrt(v2);
    for (let i = 0; i < D; i++) {
      const wi = w ? w[b * D + i] : 1;
      L += g[b * D + i] * (x[b * D + i] + (scale * v[b * D + i]) / wi);
    }
  }
  return L;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('NSVQ noise substitution (paper eq. 9)', () => {
  const rng = new Rng(21);
  const x = rng.normalArray(B * D);
  const c = rng.normalArray(B * D);
  const v = rng.normalArray(B * D);
  const w = Float32Array.from(rng.normalArray(B * D), (t) => 0.5 + Math.abs(t));

  for (const weighted of [false, true]) {
    it(`substituted error has exactly the true error's ${weighted ? 'weighted ' : ''}norm, along v${weighted ? '⊘w' : ''}`, () => {
      const out = tf.tidy(() =>
        noiseSubstitution(tf.tensor2d(x, [B, D]), tf.tensor2d(c, [B, D]), tf.tensor2d(v, [B, D]), weighted ? tf.tensor2d(w, [B, D]) : undefined).dataSync(),
      ) as Float32Array;
      const sub = new Float64Array(B * D), err = new Float64Array(B * D);
      for (let i = 0; i < B * D; i++) {
        sub[i] = out[i] - x[i];
        err[i] = x[i] - c[i];
      }
      for (let b = 0; b < B; b++) {
        const ww = weighted ? w : undefined;
        expect(rowNorm(sub, b, ww)).toBeCloseTo(rowNorm(err, b, ww), 5);
        // direction: sub ∝ v⊘w with a positive factor
        const dir = new Float64Array(B * D);
        for (let i = 0; i < D; i++) dir[b * D + i] = v[b * D + i] / (weighted ? w[b * D + i] : 1);
        let dot = 0;
        for (let i = 0; i < D; i++) dot += sub[b * D + i] * dir[b * D + i];
        const cos = dot / (rowNorm(sub, b) * rowNorm(dir, b));
        expect(cos).toBeCloseTo(1, 5);
      }
    });
  }

  for (const backend of ['cpu', 'wasm']) {
    for (const weighted of [false, true]) {
      it(`gradients to inputs and codebook match finite differences (${backend}${weighted ? ', weighted' : ''})`, async () => {
        await tf.setBackend(backend);
        await tf.ready();
        const C = rng.normalArray(K * D);
        const idx = Int32Array.from([0, 2, 2, 4, 1, 0]);
        const g = rng.normalArray(B * D);
        const xT = tf.tensor2d(x, [B, D]);
        const cT = tf.tensor2d(C, [K, D]);
        const grads = tf.grads((xa: tf.Tensor, ca: tf.Tensor) => {
          const sel = selectRows(ca as tf.Tensor2D, idx);
          const out = noiseSubstitution(xa as tf.Tensor2D, sel, tf.tensor2d(v, [B, D]), weighted ? tf.tensor2d(w, [B, D]) : undefined);
          return tf.sum(tf.mul(out, tf.tensor2d(g, [B, D])));
        })([xT, cT]);
        const gx = grads[0].dataSync(), gc = grads[1].dataSync();
        const x64 = Float64Array.from(x), C64 = Float64Array.from(C);
        const h = 1e-6;
        const ww = weighted ? w : undefined;
        for (let i = 0; i < B * D; i++) {
          const p = x64.slice(); p[i] += h;
          const m = x64.slice(); m[i] -= h;
          const fd = (loss64(p, C64, idx, v, g, ww) - loss64(m, C64, idx, v, g, ww)) / (2 * h);
          expect(Math.abs(gx[i] - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
        }
        for (let i = 0; i < K * D; i++) {
          const p = C64.slice(); p[i] += h;
          const m = C64.slice(); m[i] -= h;
          const fd = (loss64(x64, p, idx, v, g, ww) - loss64(x64, m, idx, v, g, ww)) / (2 * h);
          expect(Math.abs(gc[i] - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
        }
        // codeword 3 is never selected: exactly zero gradient
        for (let i = 0; i < D; i++) expect(gc[3 * D + i]).toBe(0);
        tf.dispose([xT, cT, ...grads]);
      });
    }
  }
});

describe('NSVQ quantizer', () => {
  it('inference equals the naive nearest codeword (forward and quantize)', async () => {
    await tf.setBackend('cpu');
    const rng = new Rng(22);
    const k = 37, d = 3, n = 100;
    const init = rng.normalArray(k * d);
    const vq = new NSVQ({ codebookSize: k, dim: d, init, seed: 3 });
    const data = rng.normalArray(n * d);
    const naive = nearestCodewordsNaive(data, n, init, k, d);
    const r = vq.forward(tf.tensor2d(data, [n, d]), { training: false });
    expect(Array.from(r.indices)).toEqual(Array.from(naive));
    const q = r.quantized.dataSync();
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) expect(q[i * d + j]).toBe(init[naive[i] * d + j]);
    const h = vq.quantize(data, n);
    expect(Array.from(h.indices)).toEqual(Array.from(naive));
    expect(Array.from(h.quantized)).toEqual(Array.from(q));
    vq.dispose();
  });

  it('training forward returns x̂′ with the true error norm and records usage', async () => {
    await tf.setBackend('cpu');
    const rng = new Rng(23);
    const vq = new NSVQ({ codebookSize: 8, dim: 2, seed: 5 });
    const data = rng.normalArray(50 * 2);
    const cb = vq.codebookArray();
    const r = vq.forward(tf.tensor2d(data, [50, 2]));
    const out = r.quantized.dataSync();
    for (let b = 0; b < 50; b++) {
      const j = r.indices[b];
      const e = Math.hypot(data[2 * b] - cb[2 * j], data[2 * b + 1] - cb[2 * j + 1]);
      const s = Math.hypot(out[2 * b] - data[2 * b], out[2 * b + 1] - data[2 * b + 1]);
      expect(s).toBeCloseTo(e, 4);
    }
    expect(r.loss.dataSync()[0]).toBe(0);
    let total = 0;
    for (const c of vq.usage.counts) total += c;
    expect(total).toBe(50);
    expect(vq.perplexity()).toBeGreaterThan(1);
    vq.dispose();
  });

  it('trains: Adam on eq. 9 lowers the quantization MSE on the wasm backend', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(24);
    const n = 512;
    const data = rng.normalArray(n * 2);
    const vq = new NSVQ({ codebookSize: 16, dim: 2, seed: 6, init: rng.normalArray(32, 3) });
    const opt = tf.train.adam(0.05);
    const first = trainStep(vq, data, n, 1, opt).mse;
    let last = first;
    for (let s = 2; s <= 60; s++) last = trainStep(vq, data, n, s, opt).mse;
    expect(last).toBeLessThan(0.5 * first);
    vq.dispose();
    opt.dispose();
  });
});
