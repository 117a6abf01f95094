/**
 * DiVeQ: differentiable vector quantization by the reparameterization trick (Vali, Bäckström and
 * Solin, arXiv 2509.26469, ICLR 2026). The quantization is written as x plus an error vector
 * whose length is the true error and whose direction points at the selected codeword:
 *
 *     x̂ = x + ‖c − x‖ · sg(d / ‖d‖),     d = c − x + ε,   ε ~ N(0, σ²I)
 *
 * so the forward value is c up to the small directional noise ε, and gradients reach x and c
 * through the magnitude ‖c − x‖ (the direction is a constant in the backward pass). This follows
 * the authors' reference implementation (github.com/AaltoML/DiVeQ, `diveq` on PyPI); see
 * docs/vq.md for the choices made here. No auxiliary loss (`loss` is 0). Codebook replacement as
 * for NSVQ (the reference DiVeQ also replaces unused codewords). Inference: hard nearest codeword.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import { stopGradient } from './select.js';
import type { ForwardOptions, ForwardResult } from './types.js';

/** Squared norms are clamped here before the sqrt (x = c gives a zero gradient, not NaN). */
const TINY = 1e-30;

/** Row norms ‖t‖ as [B, 1], with the squared norm clamped at TINY. */
export function rowNorm(t: tf.Tensor2D): tf.Tensor2D {
  return tf.sqrt(tf.maximum(tf.sum(tf.square(t), 1, true), TINY)) as tf.Tensor2D;
}

/**
 * DiVeQ's error vector ‖c − x‖ · sg((c − x + ε)/‖c − x + ε‖) for x, c and ε of shape [B, D].
 * Differentiable in x and c through the magnitude only.
 */
export function diveqError(x: tf.Tensor2D, c: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D {
  const d = tf.add(tf.sub(c, x), eps) as tf.Tensor2D;
  const dir = stopGradient(tf.div(d, rowNorm(d)) as tf.Tensor2D);
  return tf.mul(rowNorm(tf.sub(c, x) as tf.Tensor2D), dir) as tf.Tensor2D;
}

/** x̂ = x + ‖c − x‖ · sg(d/‖d‖), d = c − x + ε (DiVeQ's reparameterised quantization). */
export function diveq(x: tf.Tensor2D, c: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.add(x, diveqError(x, c, eps)) as tf.Tensor2D;
}

export interface DiVeQOptions extends QuantizerOptions {
  /**
   * Standard deviation σ of the directional noise ε (absolute units of x). Default 1e-3, the
   * default of the reference code (which names it `noise_var` but uses it as the normal's scale).
   */
  noiseStd?: number;
}

export class DiVeQ extends CodebookQuantizer {
  readonly kind = 'diveq' as const;
  readonly noiseStd: number;

  constructor(opts: DiVeQOptions) {
    super(opts, true);
    this.noiseStd = opts.noiseStd ?? 1e-3;
    if (!(this.noiseStd >= 0)) throw new RangeError('DiVeQ: noiseStd must be ≥ 0');
  }

  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const { indices, c, inference } = this.selectCodewords(x, opts, 'DiVeQ');
    if (inference) return inference;
    const [b, d] = x.shape;
    const eps = tf.tensor2d(this.rng.normalArray(b * d, this.noiseStd), [b, d]);
    return { quantized: diveq(x, c, eps), indices, loss: tf.scalar(0) };
  }
}
