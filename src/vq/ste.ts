/**
 * Straight-through estimator VQ (van den Oord et al. 2017, "VQ-VAE"): output x + sg(c − x), and
 * the auxiliary loss ‖sg(x) − c‖² + β‖x − sg(c)‖² (codebook + commitment, β = 0.25 by default),
 * both as means over the batch elements. The baseline NSVQ is compared against.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import { stopGradient, straightThrough } from './select.js';
import type { ForwardOptions, ForwardResult } from './types.js';

export interface STEOptions extends QuantizerOptions {
  /** Commitment weight β (default 0.25). */
  beta?: number;
}

export class STE extends CodebookQuantizer {
  readonly kind = 'ste' as const;
  readonly beta: number;

  constructor(opts: STEOptions) {
    super(opts, true);
    this.beta = opts.beta ?? 0.25;
  }

  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const { indices, c, inference } = this.selectCodewords(x, opts, 'STE');
    if (inference) return inference;
    const codebookLoss = tf.mean(tf.square(tf.sub(stopGradient(x), c)));
    const commitment = tf.mean(tf.square(tf.sub(x, stopGradient(c))));
    const loss = tf.add(codebookLoss, tf.mul(this.beta, commitment)) as tf.Scalar;
    return { quantized: straightThrough(x, c), indices, loss };
  }
}
