/**
 * Shared plumbing of the single-codebook quantizers: the codebook variable, the exact TS search
 * outside autodiff, hard inference on Float32Arrays, usage statistics and codebook replacement.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from './random.js';
import { CodebookReplacer, type ReplacementOptions } from './replacement.js';
import { nearestCodewords } from './search.js';
import { selectRows } from './select.js';
import type { HardQuantization, QuantizerKind, VectorQuantizer, ForwardOptions, ForwardResult } from './types.js';
import { CodebookUsage } from './usage.js';
import { nearestCodewordsWeighted } from './weighted-search.js';

export interface QuantizerOptions {
  codebookSize: number;
  dim: number;
  /** Initial K×D codebook (copied). Default: N(0, 1) entries from `seed`. */
  init?: Float32Array;
  /** Seed of the quantizer's own RNG (noise, replacement, default init). Default 1. */
  seed?: number;
  /** Codebook replacement (paper §III-C); omitted or null = off. */
  replacement?: ReplacementOptions | null;
}

export abstract class CodebookQuantizer implements VectorQuantizer {
  abstract readonly kind: QuantizerKind;
  readonly dim: number;
  readonly codebookSize: number;
  readonly codebook: tf.Variable<tf.Rank.R2>;
  readonly usage: CodebookUsage;
  readonly replacer: CodebookReplacer | null;
  protected readonly rng: Rng;

  constructor(opts: QuantizerOptions, trainable: boolean) {
    const { codebookSize: k, dim } = opts;
    if (!Number.isInteger(k) || k < 1 || !Number.isInteger(dim) || dim < 1) {
      throw new RangeError(`codebookSize and dim must be positive integers (got ${k}, ${dim})`);
    }
    this.dim = dim;
    this.codebookSize = k;
    this.rng = new Rng(opts.seed ?? 1);
    let init = opts.init;
    if (init) {
      if (init.length !== k * dim) throw new RangeError(`init: length ${init.length}, expected ${k}×${dim}`);
      init = init.slice();
    } else init = this.rng.normalArray(k * dim);
    this.codebook = tf.variable(tf.tensor2d(init, [k, dim]), trainable);
    this.usage = new CodebookUsage(k);
    this.replacer = opts.replacement ? new CodebookReplacer(opts.replacement, new Rng((opts.seed ?? 1) + 0x5bd1e995)) : null;
  }

  abstract forward(x: tf.Tensor2D, opts?: ForwardOptions): ForwardResult;

  /**
   * The start every forward() shares: the indices (given, or the exact search), their codewords,
   * and in training the usage count. `inference` is the whole result when not training (the
   * codewords, no loss). `name` names a quantizer without weighting support, so that weights are
   * refused; null passes them to the search.
   */
  protected selectCodewords(x: tf.Tensor2D, opts: ForwardOptions, name: string | null): { indices: Int32Array; c: tf.Tensor2D; inference: ForwardResult | null } {
    if (name !== null && opts.weights) throw new RangeError(`${name}: weighting is not supported`);
    const training = opts.training ?? true;
    const indices = opts.indices ?? this.search(x, name === null ? opts.weights : undefined);
    const c = selectRows(this.codebook, indices);
    if (!training) return { indices, c, inference: { quantized: c, indices, loss: tf.scalar(0) } };
    this.usage.record(indices);
    return { indices, c, inference: null };
  }

  /** A copy of the codebook (the cpu backend's dataSync returns the live buffer). */
  codebookArray(): Float32Array {
    return (this.codebook.dataSync() as Float32Array).slice();
  }

  setCodebook(values: Float32Array): void {
    if (values.length !== this.codebookSize * this.dim) throw new RangeError('setCodebook: wrong length');
    const t = tf.tensor2d(values, [this.codebookSize, this.dim]);
    this.codebook.assign(t);
    t.dispose(); // assign shares the data; the wrapper must still be released
  }

  /** Exact nearest codewords of the rows of x (optionally weighted), outside autodiff. */
  protected search(x: tf.Tensor2D, weights?: tf.Tensor): Int32Array {
    const n = x.shape[0];
    if (x.shape[1] !== this.dim) throw new RangeError(`input has dim ${x.shape[1]}, quantizer has ${this.dim}`);
    const data = x.dataSync() as Float32Array;
    const cb = this.codebookArray();
    if (weights) return nearestCodewordsWeighted(data, n, cb, this.codebookSize, this.dim, weights.dataSync() as Float32Array);
    return nearestCodewords(data, n, cb, this.codebookSize, this.dim);
  }

  quantize(data: Float32Array, n: number): HardQuantization {
    const cb = this.codebookArray();
    const indices = nearestCodewords(data, n, cb, this.codebookSize, this.dim);
    const quantized = new Float32Array(n * this.dim);
    for (let r = 0; r < n; r++) quantized.set(cb.subarray(indices[r] * this.dim, (indices[r] + 1) * this.dim), r * this.dim);
    return { indices, quantized };
  }

  trainableVariables(): tf.Variable[] {
    return this.codebook.trainable ? [this.codebook] : [];
  }

  /**
   * Call once after each optimiser step (1-based `step`). Runs codebook replacement when the
   * schedule says so; returns the replaced indices or null.
   */
  afterStep(step: number): Int32Array | null {
    if (!this.replacer || !this.replacer.isDue(step)) return null;
    const cb = this.codebookArray();
    const replaced = this.replacer.maybeReplace(step, cb, this.dim, this.usage);
    if (replaced && replaced.length > 0) this.setCodebook(cb);
    return replaced;
  }

  /** Codebook perplexity from the cumulative usage counts. */
  perplexity(): number {
    return this.usage.perplexity();
  }

  dispose(): void {
    this.codebook.dispose();
  }
}
