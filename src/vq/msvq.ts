/**
 * Multi-stage NSVQ (DESIGN §2 "Multi-stage"): S codebooks; stage i quantizes the residual that
 * stages 0…i−1 leave, so x̂ = Σ_i c_i[idx_i]. Noise substitution (paper eq. 9) is applied once,
 * on the total error: x̂' = x + (‖w⊙(x − x̂)‖/‖v‖)·v⊘w, and all stages are trained jointly
 * through that norm. Stage dropout: in a training forward each row keeps only its first k_b
 * stages, k_b uniform on {1…S}, so that the first k stages alone are a good quantizer for every
 * k (one model serves every bitrate). Search: sequential (greedy, stage by stage, exact) or
 * M-best tree search (keep the M lowest-distortion partial paths per stage).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from './random.js';
import { CodebookReplacer, type ReplacementOptions } from './replacement.js';
import { nearestCodewords } from './search.js';
import type { SearchPool } from './search-pool.js';
import { noiseSubstitution } from './nsvq.js';
import { selectRows } from './select.js';
import { CodebookUsage } from './usage.js';
import { nearestCodewordsWeighted } from './weighted-search.js';

export interface MultiStageNSVQOptions {
  stages: number;
  /** Codewords per stage (e.g. 4096 = 12 bits). */
  codebookSize: number;
  dim: number;
  /** Initial codebooks, one K×D array per stage (copied). Default: N(0, σ²) with σ = 1/(i+1). */
  init?: Float32Array[];
  seed?: number;
  /** Per-stage codebook replacement (paper §III-C); omitted or null = off. */
  replacement?: ReplacementOptions | null;
  /** Random per-row stage truncation in training (default true). */
  stageDropout?: boolean;
  /** Number of survivors in tree search; 1 = sequential search (default 1). */
  mBest?: number;
}

export interface MultiStageForwardOptions {
  training?: boolean;
  /** Use only the first `stages` stages for every row (disables stage dropout). */
  stages?: number;
  /** Optional weighting w ([B, D] or [D]) of the distance and the substituted noise. */
  weights?: tf.Tensor1D | tf.Tensor2D;
  /**
   * Full-depth sequential-search indices computed beforehand (`searchParallel`); stage dropout
   * then masks them (the first k stages of a sequential search are the k-stage search).
   * Only for mBest = 1 and no weights.
   */
  indices?: Int32Array[];
}

export interface MultiStageForwardResult {
  /** Training: x̂' (eq. 9 on the total error); inference: the hard reconstruction Σ c_i. */
  quantized: tf.Tensor2D;
  /** Per stage, per row; −1 where a row's stage was dropped. */
  indices: Int32Array[];
  /** Number of stages each row used. */
  stagesUsed: Int32Array;
  /** Auxiliary loss: always 0 (NSVQ needs none). */
  loss: tf.Scalar;
}

export interface MultiStageQuantization {
  indices: Int32Array[];
  quantized: Float32Array;
}

export class MultiStageNSVQ {
  readonly kind = 'msvq-nsvq' as const;
  readonly stages: number;
  readonly codebookSize: number;
  readonly dim: number;
  readonly stageDropout: boolean;
  readonly mBest: number;
  readonly codebooks: tf.Variable<tf.Rank.R2>[];
  readonly usage: CodebookUsage[];
  readonly replacers: (CodebookReplacer | null)[];
  private readonly rng: Rng;

  constructor(opts: MultiStageNSVQOptions) {
    const { stages, codebookSize: k, dim } = opts;
    if (!Number.isInteger(stages) || stages < 1) throw new RangeError(`stages must be ≥ 1, got ${stages}`);
    if (!Number.isInteger(k) || k < 1 || !Number.isInteger(dim) || dim < 1) throw new RangeError('bad codebookSize/dim');
    this.stages = stages;
    this.codebookSize = k;
    this.dim = dim;
    this.stageDropout = opts.stageDropout ?? true;
    this.mBest = opts.mBest ?? 1;
    if (!Number.isInteger(this.mBest) || this.mBest < 1) throw new RangeError('mBest must be a positive integer');
    this.rng = new Rng(opts.seed ?? 1);
    this.codebooks = [];
    this.usage = [];
    this.replacers = [];
    for (let s = 0; s < stages; s++) {
      let init = opts.init?.[s];
      if (init && init.length !== k * dim) throw new RangeError(`init[${s}]: length ${init.length}, expected ${k}×${dim}`);
      init = init ? init.slice() : this.rng.normalArray(k * dim, 1 / (s + 1));
      this.codebooks.push(tf.variable(tf.tensor2d(init, [k, dim]), true));
      this.usage.push(new CodebookUsage(k));
      this.replacers.push(opts.replacement ? new CodebookReplacer(opts.replacement, new Rng((opts.seed ?? 1) * 7919 + s)) : null);
    }
  }

  /** Copies of the stage codebooks. */
  codebookArrays(): Float32Array[] {
    return this.codebooks.map((c) => (c.dataSync() as Float32Array).slice());
  }

  trainableVariables(): tf.Variable[] {
    return this.codebooks.slice();
  }

  /**
   * Stage indices for `n` rows using the first `stages` stages (sequential or M-best search).
   * `weights` is [dim] or [n×dim] (optional).
   */
  search(data: Float32Array, n: number, stages: number = this.stages, weights?: Float32Array, cbs?: Float32Array[]): Int32Array[] {
    const books = cbs ?? this.codebookArrays();
    if (stages < 1 || stages > this.stages) throw new RangeError(`stages must be in 1…${this.stages}`);
    if (this.mBest > 1) return mBestSearch(data, n, books.slice(0, stages), this.codebookSize, this.dim, this.mBest, weights);
    return sequentialSearch(data, n, books.slice(0, stages), this.codebookSize, this.dim, weights);
  }

  forward(x: tf.Tensor2D, opts: MultiStageForwardOptions = {}): MultiStageForwardResult {
    const training = opts.training ?? true;
    const [n, d] = x.shape;
    if (d !== this.dim) throw new RangeError(`input has dim ${d}, quantizer has ${this.dim}`);
    const data = x.dataSync() as Float32Array;
    const w = opts.weights ? (opts.weights.dataSync() as Float32Array) : undefined;
    const stagesUsed = new Int32Array(n);
    if (opts.stages !== undefined) {
      if (!Number.isInteger(opts.stages) || opts.stages < 1 || opts.stages > this.stages) {
        throw new RangeError(`stages must be in 1…${this.stages}`);
      }
      stagesUsed.fill(opts.stages);
    } else if (training && this.stageDropout) {
      for (let r = 0; r < n; r++) stagesUsed[r] = 1 + this.rng.int(this.stages);
    } else stagesUsed.fill(this.stages);

    let indices: Int32Array[];
    if (opts.indices) {
      if (this.mBest !== 1 || w) throw new RangeError('precomputed indices need mBest = 1 and no weights');
      if (opts.indices.length !== this.stages || opts.indices.some((a) => a.length !== n)) {
        throw new RangeError(`indices: expected ${this.stages} arrays of ${n}`);
      }
      indices = opts.indices.map((a, s) => Int32Array.from(a, (j, r) => (s < stagesUsed[r] ? j : -1)));
    } else indices = this.searchPerRowDepth(data, n, stagesUsed, w);
    let recon: tf.Tensor2D | null = null;
    for (let s = 0; s < this.stages; s++) {
      const c = selectRows(this.codebooks[s], indices[s]);
      recon = recon ? (tf.add(recon, c) as tf.Tensor2D) : c;
    }
    const hard = recon as tf.Tensor2D;
    if (!training) return { quantized: hard, indices, stagesUsed, loss: tf.scalar(0) };
    for (let s = 0; s < this.stages; s++) this.usage[s].record(indices[s]);
    const v = tf.tensor2d(this.rng.normalArray(n * d), [n, d]);
    const quantized = noiseSubstitution(x, hard, v, opts.weights);
    return { quantized, indices, stagesUsed, loss: tf.scalar(0) };
  }

  /** Search rows grouped by their stage count; stages beyond a row's count get index −1. */
  private searchPerRowDepth(data: Float32Array, n: number, depth: Int32Array, w?: Float32Array): Int32Array[] {
    const out = Array.from({ length: this.stages }, () => new Int32Array(n).fill(-1));
    const books = this.codebookArrays();
    const perRowW = w !== undefined && w.length !== this.dim;
    for (let k = 1; k <= this.stages; k++) {
      const rows: number[] = [];
      for (let r = 0; r < n; r++) if (depth[r] === k) rows.push(r);
      if (rows.length === 0) continue;
      const sub = new Float32Array(rows.length * this.dim);
      const subW = perRowW ? new Float32Array(rows.length * this.dim) : w;
      rows.forEach((r, i) => {
        sub.set(data.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim);
        if (perRowW) (subW as Float32Array).set((w as Float32Array).subarray(r * this.dim, (r + 1) * this.dim), i * this.dim);
      });
      const idx = this.search(sub, rows.length, k, subW, books);
      for (let s = 0; s < k; s++) rows.forEach((r, i) => (out[s][r] = idx[s][i]));
    }
    return out;
  }

  /**
   * Full-depth sequential search with each stage's search spread over `pool`'s threads (for
   * large training batches); pass the result as `forward(x, { indices })`.
   */
  async searchParallel(data: Float32Array, n: number, pool: SearchPool): Promise<Int32Array[]> {
    const books = this.codebookArrays();
    const residual = data.slice(0, n * this.dim);
    const out: Int32Array[] = [];
    for (const cb of books) {
      const idx = await pool.nearest(residual, n, cb, this.codebookSize, this.dim);
      for (let r = 0; r < n; r++) {
        const o = idx[r] * this.dim;
        for (let i = 0; i < this.dim; i++) residual[r * this.dim + i] -= cb[o + i];
      }
      out.push(idx);
    }
    return out;
  }

  /** Hard inference on plain arrays with the first `stages` stages. */
  quantize(data: Float32Array, n: number, stages: number = this.stages): MultiStageQuantization {
    const books = this.codebookArrays();
    const indices = this.search(data, n, stages, undefined, books);
    return { indices, quantized: reconstruct(indices, books, n, this.dim) };
  }

  /** Call once after each optimiser step: per-stage codebook replacement per the schedule. */
  afterStep(step: number): (Int32Array | null)[] {
    return this.replacers.map((rep, s) => {
      if (!rep || !rep.isDue(step)) return null;
      const cb = (this.codebooks[s].dataSync() as Float32Array).slice();
      const replaced = rep.maybeReplace(step, cb, this.dim, this.usage[s]);
      if (replaced && replaced.length > 0) {
        const t = tf.tensor2d(cb, [this.codebookSize, this.dim]);
        this.codebooks[s].assign(t);
        t.dispose();
      }
      return replaced;
    });
  }

  perplexities(): number[] {
    return this.usage.map((u) => u.perplexity());
  }

  dispose(): void {
    for (const c of this.codebooks) c.dispose();
  }
}

/** Σ_s codebook_s[indices_s[r]] (indices −1 contribute nothing). */
export function reconstruct(indices: Int32Array[], books: Float32Array[], n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let s = 0; s < indices.length; s++) {
    const idx = indices[s];
    const cb = books[s];
    for (let r = 0; r < n; r++) {
      const j = idx[r];
      if (j < 0) continue;
      for (let i = 0; i < dim; i++) out[r * dim + i] += cb[j * dim + i];
    }
  }
  return out;
}

/** Greedy sequential search: stage s takes the exact nearest codeword of the current residual. */
export function sequentialSearch(
  data: Float32Array,
  n: number,
  books: Float32Array[],
  k: number,
  dim: number,
  weights?: Float32Array,
): Int32Array[] {
  const residual = data.slice(0, n * dim);
  const out: Int32Array[] = [];
  for (const cb of books) {
    const idx = weights
      ? nearestCodewordsWeighted(residual, n, cb, k, dim, weights)
      : nearestCodewords(residual, n, cb, k, dim);
    for (let r = 0; r < n; r++) {
      const o = idx[r] * dim;
      for (let i = 0; i < dim; i++) residual[r * dim + i] -= cb[o + i];
    }
    out.push(idx);
  }
  return out;
}

/**
 * M-best (tree) search: keep the M partial paths of lowest distortion ‖w⊙(x − Σ c)‖² after each
 * stage, expanding each by its M nearest codewords. Ties are broken by path order then codeword
 * index, so the result is deterministic; unweighted, M = 1 gives exactly the sequential search.
 */
export function mBestSearch(
  data: Float32Array,
  n: number,
  books: Float32Array[],
  k: number,
  dim: number,
  m: number,
  weights?: Float32Array,
): Int32Array[] {
  const S = books.length;
  const out = Array.from({ length: S }, () => new Int32Array(n));
  const perRow = weights !== undefined && weights.length !== dim;
  const wOf = (r: number, i: number) => (weights ? weights[perRow ? r * dim + i : i] : 1);
  for (let r = 0; r < n; r++) {
    type Path = { idx: number[]; res: Float32Array; dist: number };
    const x0 = new Float32Array(dim);
    for (let i = 0; i < dim; i++) x0[i] = data[r * dim + i];
    let paths: Path[] = [{ idx: [], res: x0, dist: 0 }];
    for (let s = 0; s < S; s++) {
      const cb = books[s];
      const cand: { p: number; j: number; dist: number }[] = [];
      for (let p = 0; p < paths.length; p++) {
        const res = paths[p].res;
        // M nearest codewords of this residual (insertion into a small sorted list).
        const best: { j: number; dist: number }[] = [];
        for (let j = 0; j < k; j++) {
          let d = 0;
          for (let i = 0; i < dim; i++) {
            const t = wOf(r, i) * (res[i] - cb[j * dim + i]);
            d += t * t;
          }
          if (best.length < m || d < best[best.length - 1].dist) {
            let pos = best.length;
            while (pos > 0 && best[pos - 1].dist > d) pos--;
            best.splice(pos, 0, { j, dist: d });
            if (best.length > m) best.pop();
          }
        }
        for (const b of best) cand.push({ p, j: b.j, dist: b.dist });
      }
      cand.sort((a, b) => a.dist - b.dist || a.p - b.p || a.j - b.j);
      paths = cand.slice(0, m).map((c) => {
        const res = new Float32Array(dim); // float32 residuals, as in the sequential search
        const pr = paths[c.p].res;
        for (let i = 0; i < dim; i++) res[i] = pr[i] - cb[c.j * dim + i];
        return { idx: [...paths[c.p].idx, c.j], res, dist: c.dist };
      });
    }
    const win = paths[0];
    for (let s = 0; s < S; s++) out[s][r] = win.idx[s];
  }
  return out;
}
