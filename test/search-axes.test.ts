import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/model/codec-model.js';
import { NearestSearcher, principalAxes } from '../src/model/msvq-search.js';
import { renderSearchAxesModule, searchAxesModulePath } from '../src/model/generate-search-axes.js';
import { shippedSearchAxes } from '../src/model/search-axes.js';
import { SHIPPED_AXES_MODEL_ID } from '../src/model/shipped-search-axes.js';

describe('precomputed search axes of the shipped model (encoder start-up, issue 15)', () => {
  const model = loadModel();
  const k = 1 << model.stageBits;

  it('are generated for the shipped model, and the committed module is exactly what the generator writes', () => {
    expect(SHIPPED_AXES_MODEL_ID).toBe(model.id);
    const committed = readFileSync(searchAxesModulePath(), 'utf8');
    expect(committed === renderSearchAxesModule(model), 'shipped-search-axes.ts drifted: regenerate it').toBe(true);
  });

  it('equal the computed principal axes bit for bit, stage by stage', () => {
    for (let t = 0; t < model.codebooks.length; t++) {
      const pre = shippedSearchAxes(model.id, t, model.bands);
      expect(pre).toBeDefined();
      expect(Array.from(pre!)).toEqual(Array.from(principalAxes(model.codebooks[t], k, model.bands)));
    }
  });

  it('apply to no other model id, stage or shape', () => {
    expect(shippedSearchAxes('0000000000000000', 0, model.bands)).toBeUndefined();
    expect(shippedSearchAxes(model.id, model.codebooks.length, model.bands)).toBeUndefined();
    expect(shippedSearchAxes(model.id, 0, model.bands + 1)).toBeUndefined();
  });

  it('give the same nearest codewords as a searcher that computes its own axes', () => {
    const cb = model.codebooks[1];
    const fast = new NearestSearcher(cb, k, model.bands, shippedSearchAxes(model.id, 1, model.bands));
    const slow = new NearestSearcher(cb, k, model.bands);
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const x = new Float64Array(model.bands);
    for (let n = 0; n < 300; n++) {
      // Points near codewords (where ties are likeliest) and random ones.
      const c = Math.floor(((rnd() + 1) / 2) * k);
      for (let d = 0; d < model.bands; d++) x[d] = n % 2 === 0 ? cb[c * model.bands + d] + 1e-3 * rnd() : 3 * rnd();
      expect(fast.nearest(x)).toBe(slow.nearest(x));
    }
  });

  it('a model whose codebooks changed is detected (the drift check can fail)', () => {
    const altered = { ...model, codebooks: model.codebooks.map((c, t) => (t === 0 ? c.map((v, i) => (i === 0 ? v + 1 : v)) : c)) };
    expect(renderSearchAxesModule(altered)).not.toBe(renderSearchAxesModule(model));
  });

  it('axes of the wrong size are refused', () => {
    expect(() => new NearestSearcher(model.codebooks[0], k, model.bands, new Float64Array(3))).toThrow(RangeError);
  });
});
