import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainStep } from '../src/vq/fit.js';
import { NSVQ } from '../src/vq/nsvq.js';
import { STE } from '../src/vq/ste.js';
import { DiVeQ } from '../src/vq/diveq.js';
import { RotationTrick } from '../src/vq/rotation.js';
import { MiniBatchKMeans } from '../src/vq/minibatch-kmeans.js';
import { sfDiveq } from '../src/vq/sf-diveq.js';
import { selectRows } from '../src/vq/select.js';
import { nearestCodewordsNaive } from '../src/vq/search.js';
import { Rng } from '../src/vq/random.js';
import { initFromData, toyData } from '../src/vq/toy-data.js';
import type { CodebookQuantizer } from '../src/vq/base.js';
import {
  Adam64, CellGrid2D, DriftGrid2D, TOY_METHODS, type ToyMethod, type ToyTrainOptions,
  addSfDiveqGradient, trainToy, trainToyMethods,
} from '../src/vq/toy-trainer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function naive(cb: Float64Array, k: number, x: number, y: number): number {
  let best = 0, bestD = Infinity;
  for (let j = 0; j < k; j++) {
    const d = (x - cb[2 * j]) ** 2 + (y - cb[2 * j + 1]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/** Codewords on a noisy spiral (curve-like, as the toy codebooks), optionally rounded for ties. */
function spiral(k: number, rng: Rng, round: boolean): Float64Array {
  const cb = new Float64Array(2 * k);
  for (let j = 0; j < k; j++) {
    const t = 10 * rng.uniform();
    cb[2 * j] = t * Math.cos(t) + 0.1 * rng.normal();
    cb[2 * j + 1] = t * Math.sin(t) + 0.1 * rng.normal();
  }
  if (round) for (let i = 0; i < 2 * k; i++) cb[i] = Math.round(cb[i]);
  return cb;
}

describe('toy trainer: exact 2-D searches', () => {
  it('CellGrid2D and DriftGrid2D (codewords moved within the margin) agree with a full scan, ties included', () => {
    const rng = new Rng(71);
    let checked = 0;
    for (const k of [1, 2, 9, 64, 1000]) {
      for (const round of [false, true]) {
        const cb = spiral(k, rng, round);
        const cell = new CellGrid2D(k);
        cell.build(cb, k);
        const drift = new DriftGrid2D(k, [-12, -12, 12, 12]);
        drift.build(cb, k);
        const moved = cb.slice();
        if (!round) {
          for (let j = 0; j < k; j++) {
            const a = 2 * Math.PI * rng.uniform(), r = drift.margin * rng.uniform();
            moved[2 * j] += r * Math.cos(a);
            moved[2 * j + 1] += r * Math.sin(a);
          }
        }
        expect(drift.drift(moved)).toBeLessThanOrEqual(drift.margin);
        for (let q = 0; q < 3000; q++) {
          // Mostly inside the box, some far outside; on the half-integer lattice when testing ties.
          const far = q % 50 === 0 ? 40 : 12;
          let x = far * (2 * rng.uniform() - 1), y = far * (2 * rng.uniform() - 1);
          if (round) {
            x = Math.round(2 * x) / 2;
            y = Math.round(2 * y) / 2;
          }
          expect(cell.nearest(x, y)).toBe(naive(cb, k, x, y));
          expect(drift.nearest(moved, x, y)).toBe(naive(moved, k, x, y));
          checked++;
        }
      }
    }
    expect(checked).toBe(30000);
  });

  it('DriftGrid2D is wrong once codewords move beyond the margin without a rebuild (the rebuild rule matters)', () => {
    const rng = new Rng(72);
    const k = 400;
    const cb = spiral(k, rng, false);
    const g = new DriftGrid2D(k, [-12, -12, 12, 12]);
    g.build(cb, k);
    const moved = cb.slice();
    for (let i = 0; i < 2 * k; i++) moved[i] += 2 * (rng.uniform() - 0.5);
    let wrong = 0;
    for (let q = 0; q < 2000; q++) {
      const x = 24 * rng.uniform() - 12, y = 24 * rng.uniform() - 12;
      if (g.nearest(moved, x, y) !== naive(moved, k, x, y)) wrong++;
    }
    expect(g.drift(moved)).toBeGreaterThan(g.margin);
    expect(wrong).toBeGreaterThan(0);
  });
});

describe('toy trainer: the same maths as the TF.js estimators', () => {
  it('Adam64 matches tf.train.adam over several steps', () => {
    const rng = new Rng(73);
    const p0 = rng.normalArray(12);
    const grads = Array.from({ length: 5 }, () => rng.normalArray(12, 0.1));
    const v = tf.variable(tf.tensor1d(p0));
    const opt = tf.train.adam(1e-2);
    const p = Float64Array.from(p0);
    const adam = new Adam64(12, 1e-2);
    for (const g of grads) {
      opt.applyGradients({ [v.name]: tf.tensor1d(g) });
      adam.step(p, Float64Array.from(g));
    }
    const ref = v.dataSync();
    for (let i = 0; i < 12; i++) expect(p[i]).toBeCloseTo(ref[i], 5);
    // and it moved: a broken update would also fail here
    expect(Math.abs(p[0] - p0[0])).toBeGreaterThan(1e-3);
    v.dispose();
    opt.dispose();
  });

  it('SF-DiVeQ closed-form codebook gradient equals TF.js autodiff of sfDiveq', () => {
    const rng = new Rng(74);
    const K = 6, B = 10;
    const cb = rng.normalArray(2 * K);
    const x = rng.normalArray(2 * B, 1.5);
    const seg = Int32Array.from({ length: B }, () => rng.int(K - 1));
    const lam = Float32Array.from({ length: B }, () => rng.uniform());
    const e0 = rng.normalArray(2 * B, 0.05), e1 = rng.normalArray(2 * B, 0.05);
    const cbVar = tf.variable(tf.tensor2d(cb, [K, 2]));
    const xt = tf.tensor2d(x, [B, 2]);
    const { grads } = tf.variableGrads(() => {
      const c0 = selectRows(cbVar, seg);
      const c1 = selectRows(cbVar, seg.map((i) => i + 1));
      const xh = sfDiveq(xt, c0, c1, tf.tensor2d(lam, [B, 1]), tf.tensor2d(e0, [B, 2]), tf.tensor2d(e1, [B, 2]));
      return tf.div(tf.sum(tf.square(tf.sub(xt, xh))), B * 2) as tf.Scalar;
    }, [cbVar]);
    const ref = grads[cbVar.name].dataSync();
    const ours = new Float64Array(2 * K);
    const cb64 = Float64Array.from(cb);
    for (let b = 0; b < B; b++) addSfDiveqGradient(ours, cb64, seg[b], lam[b], x[2 * b], x[2 * b + 1], e0[2 * b], e0[2 * b + 1], e1[2 * b], e1[2 * b + 1], 2 / (B * 2));
    let maxAbs = 0;
    for (let i = 0; i < 2 * K; i++) {
      expect(ours[i]).toBeCloseTo(ref[i], 5);
      maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
    }
    expect(maxAbs).toBeGreaterThan(1e-3);
    cbVar.dispose();
  });

  // A small problem where every step uses the whole data set (batch = n), so the fast trainer's
  // shuffled batch and the TF.js run's ordered batch give the same gradient up to rounding.
  const n = 64, K = 8, STEPS = 6, LR = 0.05;
  const data32 = toyData('moons', n, new Rng(75));
  const init = initFromData(data32, n, K, 2, new Rng(76));
  const opts = (): ToyTrainOptions => ({ k: K, batch: n, epochs: STEPS, lr: LR, replacementThreshold: 0.1, diveqNoise: 1e-3, orderSeed: (e) => 100 + e, methodSeed: 9 });

  /** The TF.js estimator on the fast trainer's batches (the same per-epoch shuffle, rebuilt here). */
  function tfRun(make: () => CodebookQuantizer, withOptimizer: boolean): Float32Array {
    const vq = make();
    const opt = withOptimizer ? tf.train.adam(LR) : null;
    const batch = new Float32Array(2 * n);
    for (let s = 1; s <= STEPS; s++) {
      const order = Int32Array.from({ length: n }, (_, i) => i);
      new Rng(opts().orderSeed(s - 1)).shuffle(order);
      for (let i = 0; i < n; i++) batch.set(data32.subarray(2 * order[i], 2 * order[i] + 2), 2 * i);
      trainStep(vq, batch, n, s, opt);
    }
    const cb = vq.codebookArray();
    vq.dispose();
    opt?.dispose();
    return cb;
  }

  const cases: [ToyMethod, () => CodebookQuantizer, boolean][] = [
    ['NSVQ', () => new NSVQ({ codebookSize: K, dim: 2, init, seed: 3 }), true],
    ['DiVeQ', () => new DiVeQ({ codebookSize: K, dim: 2, init, seed: 3 }), true],
    ['STE', () => new STE({ codebookSize: K, dim: 2, init }), true],
    ['Rotation', () => new RotationTrick({ codebookSize: K, dim: 2, init }), true],
    ['MiniBatchKmeans', () => new MiniBatchKMeans({ codebookSize: K, dim: 2, init, seed: 9 }), false],
  ];
  for (const [method, make, withOpt] of cases) {
    it(`${method}: ${STEPS} steps give the TF.js estimator's codebook`, () => {
      const ref = tfRun(make, withOpt);
      const ours = trainToy(Float64Array.from(data32), n, init, method, opts()).codebook;
      let moved = 0;
      for (let i = 0; i < 2 * K; i++) {
        expect(ours[i]).toBeCloseTo(ref[i], 4);
        moved = Math.max(moved, Math.abs(ours[i] - init[i]));
      }
      expect(moved).toBeGreaterThan(1e-2);
    });
  }

  it('training all methods in lockstep gives each method the codebook it gets alone', () => {
    const d = Float64Array.from(toyData('circles', 3000, new Rng(77)));
    const start = initFromData(Float32Array.from(d), 3000, 32, 2, new Rng(78));
    const o: ToyTrainOptions = { k: 32, batch: 500, epochs: 8, lr: 1e-2, replacementThreshold: 0.1, diveqNoise: 1e-3, orderSeed: (e) => 7 + e, methodSeed: 5 };
    const together = trainToyMethods(d, 3000, start, TOY_METHODS, o);
    for (const r of together) expect(Array.from(r.codebook)).toEqual(Array.from(trainToy(d, 3000, start, r.method, o).codebook));
    // NSVQ replaced codewords here (its replacement is exercised), STE did not.
    expect(together.find((r) => r.method === 'NSVQ')?.replaced).toBeGreaterThan(0);
    expect(together.find((r) => r.method === 'STE')?.replaced).toBe(0);
    // final hard assignment sanity: the searches are exact
    const cb = together[0].codebook;
    const idx = nearestCodewordsNaive(Float32Array.from(d.subarray(0, 200)), 100, Float32Array.from(cb), 32, 2);
    expect(idx.length).toBe(100);
  });
});
