import { describe, expect, it } from 'vitest';
import { TOY_DATASETS, initFromData, toyData } from '../src/vq/toy-data.js';
import { Rng } from '../src/vq/random.js';

describe('toy data generators', () => {
  it('are deterministic per seed and differ across seeds', () => {
    for (const d of TOY_DATASETS) {
      const a = toyData(d, 500, new Rng(1));
      const b = toyData(d, 500, new Rng(1));
      const c = toyData(d, 500, new Rng(2));
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(a)).not.toEqual(Array.from(c));
      expect(a.every(Number.isFinite)).toBe(true);
    }
  });

  it('have the documented geometry', () => {
    const n = 4000;
    const circles = toyData('circles', n, new Rng(3));
    let outer = 0, inner = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.hypot(circles[2 * i], circles[2 * i + 1]);
      if (i % 2 === 0) outer += r; else inner += r;
    }
    expect(outer / (n / 2)).toBeCloseTo(1, 1);
    expect(inner / (n / 2)).toBeCloseTo(0.5, 1);
    const roll = toyData('swiss-roll', n, new Rng(4));
    let maxR = 0;
    for (let i = 0; i < n; i++) maxR = Math.max(maxR, Math.hypot(roll[2 * i], roll[2 * i + 1]));
    expect(maxR).toBeGreaterThan(4.5 * Math.PI - 2);
    expect(maxR).toBeLessThan(4.5 * Math.PI + 3);
  });

  it('codebook init = distinct data samples + N(0, 1) noise', () => {
    const data = Float32Array.from({ length: 200 }, (_, i) => i); // 100 points (i, i+1) on a line
    const cb = initFromData(data, 100, 50, 2, new Rng(5));
    let sumSq = 0;
    const src = new Set<number>();
    for (let j = 0; j < 50; j++) {
      // the source sample is the one whose x best explains both coordinates
      const base = Math.round((cb[2 * j] + cb[2 * j + 1] - 1) / 4) * 2;
      src.add(base);
      sumSq += (cb[2 * j] - base) ** 2 + (cb[2 * j + 1] - base - 1) ** 2;
    }
    const varEst = sumSq / 100;
    expect(varEst).toBeGreaterThan(0.5);
    expect(varEst).toBeLessThan(1.6);
    expect(src.size).toBeGreaterThan(40);
  });
});
