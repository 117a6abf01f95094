/**
 * Mini-batch k-means (Sculley, "Web-scale k-means clustering", WWW 2010): assign the batch to
 * the nearest centres, then for each sample in order v_c ← v_c + 1, η = 1/v_c,
 * c ← (1 − η)c + ηx. Like scikit-learn's MiniBatchKMeans (the paper's baseline) it can
 * re-seed rarely used centres: whenever ≥ 10·K samples were seen since the last check (or some
 * centre has never been used), centres whose count is below `reassignmentRatio × max count` move
 * to random samples of the batch (at most half a batch of them) and get the smallest surviving
 * count. `reassignmentRatio` = 0.01 by default (scikit-learn's default); 0 gives plain Sculley.
 * The output is straight-through and the auxiliary loss is zero; the codebook is updated inside
 * the training forward, not by the optimiser.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import { straightThrough } from './select.js';
import type { ForwardOptions, ForwardResult } from './types.js';

export interface MiniBatchKMeansOptions extends QuantizerOptions {
  /** Re-seed centres used less than this fraction of the busiest one (default 0.01; 0 = off). */
  reassignmentRatio?: number;
}

export class MiniBatchKMeans extends CodebookQuantizer {
  readonly kind = 'kmeans' as const;
  readonly reassignmentRatio: number;
  /** Per-centre sample counts v_c. */
  readonly centreCounts: Float64Array;
  private sinceReassign = 0;

  constructor(opts: MiniBatchKMeansOptions) {
    super(opts, false);
    this.reassignmentRatio = opts.reassignmentRatio ?? 0.01;
    this.centreCounts = new Float64Array(this.codebookSize);
  }

  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const { indices, c, inference } = this.selectCodewords(x, opts, 'MiniBatchKMeans');
    if (inference) return inference;
    const quantized = straightThrough(x, c);
    this.update(x.dataSync() as Float32Array, indices);
    return { quantized, indices, loss: tf.scalar(0) };
  }

  /** Sculley's per-sample centre update for a batch already assigned to `indices`. */
  update(data: Float32Array, indices: Int32Array): void {
    const d = this.dim;
    const cb = this.codebookArray().slice();
    const v = this.centreCounts;
    for (let r = 0; r < indices.length; r++) {
      const j = indices[r];
      v[j]++;
      const eta = 1 / v[j];
      for (let i = 0; i < d; i++) cb[j * d + i] += eta * (data[r * d + i] - cb[j * d + i]);
    }
    this.sinceReassign += indices.length;
    if (this.reassignmentRatio > 0) this.reassign(data, indices.length, cb);
    this.setCodebook(cb);
  }

  private reassign(data: Float32Array, n: number, cb: Float32Array): void {
    const k = this.codebookSize;
    const v = this.centreCounts;
    let anyZero = false;
    let max = 0;
    for (let j = 0; j < k; j++) {
      if (v[j] === 0) anyZero = true;
      if (v[j] > max) max = v[j];
    }
    if (!anyZero && this.sinceReassign < 10 * k) return;
    this.sinceReassign = 0;
    const limit = this.reassignmentRatio * max;
    let low: number[] = [];
    for (let j = 0; j < k; j++) if (v[j] < limit) low.push(j);
    if (low.length === 0) return;
    const cap = Math.floor(0.5 * n);
    if (low.length > cap) low = low.sort((a, b) => v[a] - v[b] || a - b).slice(0, cap);
    const lowSet = new Set(low);
    let minKept = Infinity;
    for (let j = 0; j < k; j++) if (!lowSet.has(j) && v[j] < minKept) minKept = v[j];
    // Distinct random samples of the batch (partial Fisher–Yates).
    const pick = Int32Array.from({ length: n }, (_, i) => i);
    for (let t = 0; t < low.length; t++) {
      const s = t + this.rng.int(n - t);
      const tmp = pick[t];
      pick[t] = pick[s];
      pick[s] = tmp;
      const j = low[t];
      cb.set(data.subarray(pick[t] * this.dim, (pick[t] + 1) * this.dim), j * this.dim);
      v[j] = Number.isFinite(minKept) ? minKept : 0;
    }
  }
}
