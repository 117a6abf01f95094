import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReplacementSchedule, replaceDeadCodewords, REPLACEMENT_DEFAULTS } from '../src/vq/replacement.js';
import { CodebookUsage, perplexityOf } from '../src/vq/usage.js';
import { NSVQ } from '../src/vq/nsvq.js';
import { Rng } from '../src/vq/random.js';
import { trainStep } from '../src/vq/fit.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('codebook usage', () => {
  it('counts selections, batches used per window, and perplexity', () => {
    const u = new CodebookUsage(4);
    u.record([0, 0, 1, -1]);
    u.record([1, 1, 1]);
    expect(Array.from(u.counts)).toEqual([2, 4, 0, 0]);
    expect(Array.from(u.windowBatchesUsed)).toEqual([1, 2, 0, 0]);
    expect(u.windowBatches).toBe(2);
    expect(u.deadCount()).toBe(2);
    expect(perplexityOf([1, 1, 1, 1])).toBeCloseTo(4, 12);
    expect(perplexityOf([5, 0, 0])).toBeCloseTo(1, 12);
    u.resetWindow();
    expect(u.windowBatches).toBe(0);
    expect(Array.from(u.windowBatchesUsed)).toEqual([0, 0, 0, 0]);
  });
});

describe('replacement schedule', () => {
  it('replaces often early, less often later, and stops near the end', () => {
    const steps = ReplacementSchedule.steps({ totalSteps: 2000 });
    expect(steps[0]).toBe(REPLACEMENT_DEFAULTS.initialInterval);
    const gaps = steps.slice(1).map((s, i) => s - steps[i]);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(3 * gaps[0]);
    expect(steps[steps.length - 1]).toBeLessThanOrEqual(0.8 * 2000);
    expect(steps.length).toBeGreaterThan(5);
    const sch = new ReplacementSchedule({ totalSteps: 100, initialInterval: 10, growth: 1 });
    expect(sch.isDue(9)).toBe(false);
    expect(sch.isDue(10)).toBe(true);
    expect(sch.isDue(10)).toBe(true); // peeking does not advance
    expect(sch.isReplacementStep(10)).toBe(true);
    expect(sch.isDue(11)).toBe(false);
    const custom = ReplacementSchedule.steps({ totalSteps: 100, initialInterval: 10, growth: 1, stopFraction: 0.5 });
    expect(custom).toEqual([10, 20, 30, 40, 50]);
  });
});

describe('replaceDeadCodewords', () => {
  it('overwrites codewords used in < threshold×batches with active ones plus small noise', () => {
    const dim = 2, k = 6;
    const cb = Float32Array.from([0, 0, 1, 1, 50, 50, 2, 2, 60, 60, 70, 70]);
    const u = new CodebookUsage(k);
    for (let b = 0; b < 10; b++) u.record(b === 0 ? [0, 1, 3, 4] : [0, 1, 3]); // 4 used in 1/10 batches
    const before = cb.slice();
    const replaced = replaceDeadCodewords(cb, dim, u, 0.2, 1e-3, new Rng(1));
    expect(Array.from(replaced)).toEqual([2, 4, 5]);
    for (const j of [0, 1, 3]) expect(Array.from(cb.subarray(j * dim, j * dim + dim))).toEqual(Array.from(before.subarray(j * dim, j * dim + dim)));
    const actives = [0, 1, 3].map((j) => [before[j * dim], before[j * dim + 1]]);
    const sources = new Set<number>();
    for (const j of [2, 4, 5]) {
      const dists = actives.map(([a, b]) => Math.hypot(cb[j * dim] - a, cb[j * dim + 1] - b));
      const m = Math.min(...dists);
      expect(m).toBeLessThan(1e-2);
      expect(m).toBeGreaterThan(0); // noise was added
      sources.add(dists.indexOf(m));
    }
    expect(sources.size).toBe(3); // distinct active codewords while enough exist
  });
});

describe('NSVQ with replacement', () => {
  it('revives dead codewords during training; without replacement they stay dead', () => {
    const rng = new Rng(31);
    const n = 400, k = 32;
    const data = rng.normalArray(n * 2, 0.5);
    const init = rng.normalArray(k * 2, 0.5);
    for (let j = 0; j < 16; j++) { init[2 * j] += 40; init[2 * j + 1] -= 40; } // half the codebook far away: dead
    const run = (withRep: boolean) => {
      const vq = new NSVQ({ codebookSize: k, dim: 2, init, seed: 2, replacement: withRep ? { totalSteps: 60, threshold: 0.1, initialInterval: 5 } : null });
      const opt = tf.train.adam(1e-2);
      let replaced = 0;
      for (let s = 1; s <= 60; s++) replaced += trainStep(vq, data, n, s, opt).replaced;
      const q = vq.quantize(data, n);
      const used = new Set(q.indices).size;
      let mse = 0;
      for (let i = 0; i < n * 2; i++) mse += (data[i] - q.quantized[i]) ** 2;
      vq.dispose();
      opt.dispose();
      return { replaced, used, mse: mse / (2 * n) };
    };
    const off = run(false);
    const on = run(true);
    expect(off.used).toBeLessThanOrEqual(16);
    expect(on.replaced).toBeGreaterThanOrEqual(16);
    expect(on.used).toBeGreaterThan(28);
    expect(on.mse).toBeLessThan(0.7 * off.mse);
  });
});
