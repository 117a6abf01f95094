/**
 * Nearest codeword under a weighted distance ‖w ⊙ (x − c)‖² (paper eq. 9's optional weighting).
 * Weights are per row ([n, dim]) or shared ([dim]). A shared weighting reduces to the exact plain
 * kernel on the float32-scaled vectors w⊙x and w⊙c (that scaling rounds, so an exact near-tie
 * may resolve differently from the per-row formula); per-row weights use a direct float64 loop
 * Σ (w_i (x_i − c_i))² (ties → lowest index).
 */
import { nearestCodewords } from './search.js';

export function nearestCodewordsWeighted(
  data: Float32Array,
  n: number,
  codebook: Float32Array,
  k: number,
  dim: number,
  weights: Float32Array,
  out?: Int32Array,
): Int32Array {
  const idx = out ?? new Int32Array(n);
  if (weights.length === dim) {
    const xs = new Float32Array(n * dim);
    const cs = new Float32Array(k * dim);
    for (let i = 0; i < n * dim; i++) xs[i] = data[i] * weights[i % dim];
    for (let i = 0; i < k * dim; i++) cs[i] = codebook[i] * weights[i % dim];
    return nearestCodewords(xs, n, cs, k, dim, idx);
  }
  if (weights.length !== n * dim) throw new RangeError(`weights: length ${weights.length}, expected ${dim} or ${n}×${dim}`);
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    let best = 0;
    let bestD = Infinity;
    for (let j = 0, co = 0; j < k; j++, co += dim) {
      let d = 0;
      for (let i = 0; i < dim; i++) {
        const t = weights[o + i] * (data[o + i] - codebook[co + i]);
        d += t * t;
      }
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    idx[r] = best;
  }
  return idx;
}
