/**
 * Seeded 2-D toy distributions for the paper's third scenario (§IV, Table 2), written after the
 * scikit-learn generators of the same names. Parameters (fixed, documented in docs/vq.md):
 *  - blobs: 3 centres uniform in [−10, 10]², N(0, 1) around each, equal counts;
 *  - circles: radius 1 and 0.5 (factor 0.5), uniform angle, N(0, 0.05²) noise, equal counts;
 *  - moons: upper arc (cos θ, sin θ) and lower arc (1 − cos θ, 0.5 − sin θ), θ ~ U[0, π],
 *    N(0, 0.1²) noise, equal counts;
 *  - swiss-roll: t = 1.5π(1 + 2u), u ~ U[0, 1), point (t cos t, t sin t) + N(0, 0.5²) noise
 *    (the (x, z) plane of scikit-learn's 3-D roll).
 */
import { Rng } from './random.js';

export const TOY_DATASETS = ['blobs', 'circles', 'moons', 'swiss-roll'] as const;
export type ToyDataset = (typeof TOY_DATASETS)[number];

/** n samples, n×2 row-major. */
export function toyData(name: ToyDataset, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * n);
  switch (name) {
    case 'blobs': {
      const centres = Array.from({ length: 3 }, () => [20 * rng.uniform() - 10, 20 * rng.uniform() - 10]);
      for (let i = 0; i < n; i++) {
        const c = centres[i % 3];
        out[2 * i] = c[0] + rng.normal();
        out[2 * i + 1] = c[1] + rng.normal();
      }
      break;
    }
    case 'circles':
      for (let i = 0; i < n; i++) {
        const r = i % 2 === 0 ? 1 : 0.5;
        const a = 2 * Math.PI * rng.uniform();
        out[2 * i] = r * Math.cos(a) + 0.05 * rng.normal();
        out[2 * i + 1] = r * Math.sin(a) + 0.05 * rng.normal();
      }
      break;
    case 'moons':
      for (let i = 0; i < n; i++) {
        const t = Math.PI * rng.uniform();
        const upper = i % 2 === 0;
        out[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * rng.normal();
        out[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * rng.normal();
      }
      break;
    case 'swiss-roll':
      for (let i = 0; i < n; i++) {
        const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
        out[2 * i] = t * Math.cos(t) + 0.5 * rng.normal();
        out[2 * i + 1] = t * Math.sin(t) + 0.5 * rng.normal();
      }
      break;
    default:
      throw new RangeError(`unknown toy dataset ${String(name)}`);
  }
  return out;
}

/** Codebook start of the paper: k data samples (drawn without replacement when possible) + N(0, 1). */
export function initFromData(data: Float32Array, n: number, k: number, dim: number, rng: Rng): Float32Array {
  const cb = new Float32Array(k * dim);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let j = 0; j < k; j++) {
    let src: number;
    if (j < n) {
      const s = j + rng.int(n - j);
      const t = order[j];
      order[j] = order[s];
      order[s] = t;
      src = order[j];
    } else src = rng.int(n);
    for (let i = 0; i < dim; i++) cb[j * dim + i] = data[src * dim + i] + rng.normal();
  }
  return cb;
}
