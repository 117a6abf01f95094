/**
 * EMA codebook updates (van den Oord et al. 2017, appendix A.1): per codeword, exponential
 * moving averages of the assignment count N_k and of the sum of assigned inputs M_k with decay
 * γ = 0.99, and c_k = M_k / N_k. Both averages are bias-corrected (÷ (1 − γ^t)) instead of the
 * paper's Laplace smoothing, so early codewords are not pulled toward zero; a codeword that has
 * never been assigned keeps its value. The output is straight-through and the auxiliary loss is
 * β‖x − sg(c)‖² (commitment only, β = 0.25). The codebook is not a trainable variable: it is
 * updated inside the training forward.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import { stopGradient, straightThrough } from './select.js';
import type { ForwardOptions, ForwardResult } from './types.js';

export interface EMAOptions extends QuantizerOptions {
  /** Decay γ (default 0.99). */
  decay?: number;
  /** Commitment weight β (default 0.25). */
  beta?: number;
}

export class EMA extends CodebookQuantizer {
  readonly kind = 'ema' as const;
  readonly decay: number;
  readonly beta: number;
  private readonly emaCount: Float64Array;
  private readonly emaSum: Float64Array;
  private t = 0;

  constructor(opts: EMAOptions) {
    super(opts, false);
    this.decay = opts.decay ?? 0.99;
    this.beta = opts.beta ?? 0.25;
    if (!(this.decay >= 0 && this.decay < 1)) throw new RangeError('EMA decay must be in [0, 1)');
    this.emaCount = new Float64Array(this.codebookSize);
    this.emaSum = new Float64Array(this.codebookSize * this.dim);
  }

  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const { indices, c, inference } = this.selectCodewords(x, opts, 'EMA');
    if (inference) return inference;
    const quantized = straightThrough(x, c);
    const loss = tf.mul(this.beta, tf.mean(tf.square(tf.sub(x, stopGradient(c))))) as tf.Scalar;
    this.update(x.dataSync() as Float32Array, indices);
    return { quantized, indices, loss };
  }

  /** One EMA step from a batch (rows of `data` assigned to `indices`). */
  update(data: Float32Array, indices: Int32Array): void {
    const k = this.codebookSize;
    const d = this.dim;
    const g = this.decay;
    const count = new Float64Array(k);
    const sum = new Float64Array(k * d);
    for (let r = 0; r < indices.length; r++) {
      const j = indices[r];
      count[j]++;
      for (let i = 0; i < d; i++) sum[j * d + i] += data[r * d + i];
    }
    this.t++;
    const debias = 1 / (1 - Math.pow(g, this.t));
    const cb = this.codebookArray().slice();
    for (let j = 0; j < k; j++) {
      this.emaCount[j] = g * this.emaCount[j] + (1 - g) * count[j];
      for (let i = 0; i < d; i++) this.emaSum[j * d + i] = g * this.emaSum[j * d + i] + (1 - g) * sum[j * d + i];
      const n = this.emaCount[j] * debias;
      if (n > 1e-12) for (let i = 0; i < d; i++) cb[j * d + i] = (this.emaSum[j * d + i] * debias) / n;
    }
    this.setCodebook(cb);
  }
}
