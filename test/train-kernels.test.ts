/**
 * The training step's fast paths compute the same maths as the reference paths they replaced
 * (issue 6 throughput work): the loss kernel against the per-cell reference, and a few whole
 * trainer steps through either kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/vq/random.js';
import { initTfBackend } from '../src/vq/tf-backend.js';
import { Trainer, type TrainerState } from '../src/train/trainer.js';
import { cellBitsAndGradReference, laplaceCellBits, setReferenceCellBits, sumCellBitsAndGrad, sumCellBitsOfLogScale, sumCellBitsOfVariance } from '../src/train/spectrum-bits.js';

beforeAll(async () => {
  await initTfBackend('wasm');
});
afterAll(() => setReferenceCellBits(false));

/** MDCT-like frames: Gaussian bins under a random level and spectral tilt per frame. */
function frames(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 320);
  for (let f = 0; f < n; f++) {
    const lvl = Math.exp(1.5 * rng.normal() - 6);
    const tilt = rng.normal();
    for (let k = 0; k < 320; k++) x[f * 320 + k] = rng.normal() * Math.sqrt(lvl * Math.exp((-tilt * k) / 160));
  }
  return x;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, abs: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    const err = Math.abs(a[i] - b[i]) - (abs + rel * Math.abs(b[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(at, `${what}: first out-of-tolerance element ${at} (${a[at]} vs ${b[at]})`).toBe(-1);
}

describe('loss kernel', () => {
  it('sumCellBitsAndGrad matches the per-cell reference on centre, tail, edge and clamped cells', () => {
    const ts: number[] = [0, 1e-9, 0.1, 0.3, 0.4999999, 0.5, 0.5000001, 0.7, 1, 2.5, 10, 300, 1e5];
    const lbs: number[] = [-800, -60, -20, -8, -3, -1, -0.2, 0, 0.4, 2, 6, 15, 40, 700, 800];
    const t = new Float32Array(ts.length * lbs.length);
    const lb = new Float32Array(t.length);
    let i = 0;
    for (const tv of ts) for (const l of lbs) { t[i] = tv; lb[i] = l; i++; }
    const rng = new Rng(4);
    const tr = new Float32Array(20000);
    const lr = new Float32Array(tr.length);
    for (let j = 0; j < tr.length; j++) { tr[j] = Math.abs(rng.normal() * 3); lr[j] = 2 * rng.normal(); }
    for (const [tt, ll] of [[t, lb], [tr, lr]] as const) {
      const gFast = new Float32Array(tt.length);
      const gRef = new Float32Array(tt.length);
      const bits = new Float64Array(tt.length);
      const bitsRef = new Float64Array(tt.length);
      let sumRef = 0;
      for (let j = 0; j < tt.length; j++) {
        bitsRef[j] = cellBitsAndGradReference(tt[j], Math.exp(ll[j]), gRef, j);
        sumRef += bitsRef[j];
        // One cell at a time, so a per-cell difference cannot hide in the sum.
        bits[j] = sumCellBitsAndGrad(tt.subarray(j, j + 1), ll.subarray(j, j + 1), gFast.subarray(j, j + 1));
        // b = e^{−800} underflows to 0: both paths give a NaN gradient there (ln b < −745 never occurs in training).
        expect(Number.isFinite(gFast[j])).toBe(Number.isFinite(gRef[j]));
        expect(Number.isFinite(bits[j])).toBe(true);
      }
      expectClose(bits, bitsRef, 1e-9, 1e-9, 'bits');
      expectClose(gFast, gRef, 1e-6, 1e-9, 'd bits / d ln b');
      const gSum = new Float32Array(tt.length);
      expect(sumCellBitsAndGrad(tt, ll, gSum)).toBeCloseTo(sumRef, 6);
      // And both agree with the plain probability form used by validation.
      for (let j = 0; j < tt.length; j += 97) expect(bits[j]).toBeCloseTo(laplaceCellBits(tt[j], Math.exp(ll[j])), 6);
    }
  });

  it('the variance-form op equals ln b = ½ ln s + θ + ln c through the log-scale op, value and gradients', () => {
    const frames = 40;
    const bins = 24;
    const rng = new Rng(12);
    const t = new Float32Array(frames * bins);
    const c = new Float32Array(frames * bins);
    const s = new Float32Array(frames * bins);
    const th = new Float32Array(bins);
    for (let i = 0; i < t.length; i++) {
      t[i] = Math.abs(2 * rng.normal());
      c[i] = Math.exp(rng.normal());
      s[i] = Math.exp(3 * rng.normal());
    }
    for (let k = 0; k < bins; k++) th[k] = 0.5 * rng.normal();
    const sT = tf.tensor2d(s, [frames, bins]);
    const thT = tf.tensor1d(th);
    const logC = tf.tensor2d(c.map(Math.log), [frames, bins]);
    const viaLog = (sv: tf.Tensor, tv: tf.Tensor): tf.Scalar => sumCellBitsOfLogScale(t)(tf.add(tf.add(tf.mul(tf.log(sv), 0.5), tv), logC));
    const viaVar = sumCellBitsOfVariance(t, c, bins);
    const a = tf.valueAndGrads(viaLog)([sT, thT]);
    const b = tf.valueAndGrads(viaVar)([sT, thT]);
    expect(b.value.dataSync()[0]).toBeCloseTo(a.value.dataSync()[0], 2);
    expectClose(b.grads[0].dataSync(), a.grads[0].dataSync(), 1e-4, 1e-7, 'd/ds');
    expectClose(b.grads[1].dataSync(), a.grads[1].dataSync(), 1e-4, 1e-5, 'd/dθ');
  });
});

describe('trainer step through the fast paths', () => {
  const run = async (reference: boolean, estimator: 'nsvq' | 'ste'): Promise<{ state: TrainerState; bits: number[] }> => {
    setReferenceCellBits(reference);
    try {
      const x = frames(384, 9);
      const tr = Trainer.fromData(x, 384, {
        estimator, stages: 2, stageBits: 5, stagesPerMode: { '8000': 1, '16400': 2 }, lr: 0.01, plannedSteps: 1000, seed: 5,
      });
      const bits: number[] = [];
      for (let s = 0; s < 3; s++) bits.push((await tr.trainStep(x.subarray(s * 128 * 320, (s + 1) * 128 * 320), 128)).bits);
      return { state: tr.snapshot(), bits };
    } finally {
      setReferenceCellBits(false);
    }
  };

  for (const estimator of ['nsvq', 'ste'] as const) {
    it(`state after 3 ${estimator} steps matches the reference kernel within float32 tolerance`, async () => {
      const ref = await run(true, estimator);
      const fast = await run(false, estimator);
      expectClose(fast.bits, ref.bits, 1e-6, 0, 'bits per step');
      expectClose(fast.state.alpha, ref.state.alpha, 1e-5, 1e-6, 'alpha');
      expectClose(fast.state.beta, ref.state.beta, 1e-5, 1e-6, 'beta');
      expectClose(fast.state.theta, ref.state.theta, 1e-5, 1e-6, 'theta');
      for (let s = 0; s < ref.state.codebooks.length; s++) {
        expectClose(fast.state.codebooks[s], ref.state.codebooks[s], 1e-5, 1e-6, `codebook ${s}`);
        expectClose(fast.state.adamV[3 + s], ref.state.adamV[3 + s], 1e-3, 1e-12, `Adam v of codebook ${s}`);
      }
    });
  }

  it('a step leaves no tensors behind', async () => {
    const x = frames(128, 3);
    const tr = Trainer.fromData(x, 128, { stages: 2, stageBits: 4, stagesPerMode: { '8000': 1, '16400': 2 }, seed: 2 });
    await tr.trainStep(x, 128);
    const before = tf.memory().numTensors;
    await tr.trainStep(x, 128);
    await tr.trainStep(x, 128);
    expect(tf.memory().numTensors).toBe(before);
  });
});
