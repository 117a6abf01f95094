/**
 * Seeded 2-D toy distributions for the paper's third scenario (§IV, Table 2), written after the
 * scikit-learn generators of the same names, each with a noise σ and an overall scale s (the
 * whole data set, noise included, is multiplied by s). Default parameters (`TOY_DEFAULT_PARAMS`):
 *  - blobs: 3 centres uniform in [−10, 10]², N(0, σ²) around each (σ = cluster_std = 1), equal counts;
 *  - circles: radius 1 and `factor` (0.5), uniform angle, N(0, σ²) noise (σ = 0.05), equal counts;
 *  - moons: upper arc (cos θ, sin θ) and lower arc (1 − cos θ, 0.5 − sin θ), θ ~ U[0, π],
 *    N(0, σ²) noise (σ = 0.1), equal counts;
 *  - swiss-roll: t = 1.5π(1 + 2u), u ~ U[0, 1), point (t cos t, t sin t) + N(0, σ²) noise
 *    (σ = 0.5; the (x, z) plane of scikit-learn's 3-D roll).
 * The toy study's calibrated parameters (bench/toy.ts --calibrate) are passed explicitly.
 */
import { Rng } from './random.js';

export const TOY_DATASETS = ['blobs', 'circles', 'moons', 'swiss-roll'] as const;
export type ToyDataset = (typeof TOY_DATASETS)[number];

export interface ToyParams {
  /** Overall scale s (applied last, to the noisy points). */
  scale: number;
  /** Noise σ before scaling (blobs: cluster_std). */
  noise: number;
  /** circles: inner radius / outer radius. */
  factor?: number;
}

export const TOY_DEFAULT_PARAMS: Readonly<Record<ToyDataset, ToyParams>> = {
  blobs: { scale: 1, noise: 1 },
  circles: { scale: 1, noise: 0.05, factor: 0.5 },
  moons: { scale: 1, noise: 0.1 },
  'swiss-roll': { scale: 1, noise: 0.5 },
};

/** n samples, n×2 row-major. */
export function toyData(name: ToyDataset, n: number, rng: Rng, params: ToyParams = TOY_DEFAULT_PARAMS[name]): Float32Array {
  const out = new Float32Array(2 * n);
  const sigma = params.noise;
  const factor = params.factor ?? 0.5;
  switch (name) {
    case 'blobs': {
      const centres = Array.from({ length: 3 }, () => [20 * rng.uniform() - 10, 20 * rng.uniform() - 10]);
      for (let i = 0; i < n; i++) {
        const c = centres[i % 3];
        out[2 * i] = c[0] + sigma * rng.normal();
        out[2 * i + 1] = c[1] + sigma * rng.normal();
      }
      break;
    }
    case 'circles':
      for (let i = 0; i < n; i++) {
        const r = i % 2 === 0 ? 1 : factor;
        const a = 2 * Math.PI * rng.uniform();
        out[2 * i] = r * Math.cos(a) + sigma * rng.normal();
        out[2 * i + 1] = r * Math.sin(a) + sigma * rng.normal();
      }
      break;
    case 'moons':
      for (let i = 0; i < n; i++) {
        const t = Math.PI * rng.uniform();
        const upper = i % 2 === 0;
        out[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + sigma * rng.normal();
        out[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + sigma * rng.normal();
      }
      break;
    case 'swiss-roll':
      for (let i = 0; i < n; i++) {
        const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
        out[2 * i] = t * Math.cos(t) + sigma * rng.normal();
        out[2 * i + 1] = t * Math.sin(t) + sigma * rng.normal();
      }
      break;
    default:
      throw new RangeError(`unknown toy dataset ${String(name)}`);
  }
  if (params.scale !== 1) for (let i = 0; i < out.length; i++) out[i] *= params.scale;
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
