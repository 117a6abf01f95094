/**
 * The rotation trick (Fifty et al., "Restructuring Vector Quantization with the Rotation Trick",
 * ICLR 2025, §4): the quantizer output is a rotated and rescaled x, with the linear map treated
 * as a constant in the backward pass:
 *
 *     x̂ = sg(λ·R)·x,   λ = ‖c‖/‖x‖,   R = I − 2wwᵀ + 2ĉx̂ᵀ,   w = (x̂ + ĉ)/‖x̂ + ĉ‖,
 *
 * with x̂ = x/‖x‖, ĉ = c/‖c‖ (x̂ here is the unit input, not the output). R is the product of two
 * Householder reflections and maps x̂ to ĉ, so the forward value is λ‖x‖ĉ = c; the gradient to x
 * is ∂L/∂x = λ·Rᵀ·∂L/∂x̂ (the output gradient carried back by the inverse rotation, scaled).
 * The codebook gets no gradient through x̂; it learns from the auxiliary loss
 * ‖sg(x) − c‖² + β‖x − sg(c)‖² (codebook + commitment, β = 0.25, as STE), as in the paper.
 * Float rounding of λRx is removed by a straight-through correction: value exactly c.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import { stopGradient, straightThrough } from './select.js';
import type { ForwardOptions, ForwardResult } from './types.js';

/** Norms below this are clamped (x = 0, c = 0, or x̂ = −ĉ where w is undefined). */
const TINY = 1e-12;

function unitRows(t: tf.Tensor2D): { unit: tf.Tensor2D; norm: tf.Tensor2D } {
  const norm = tf.sqrt(tf.sum(tf.square(t), 1, true)) as tf.Tensor2D;
  return { unit: tf.div(t, tf.maximum(norm, TINY)) as tf.Tensor2D, norm };
}

/**
 * λ·R·x for each row, with λ, R built from x and c as constants (sg): differentiable in x only,
 * gradient λ·Rᵀ·g. Value = c up to float rounding (for x ≠ 0 and x̂ ≠ −ĉ).
 */
export function rotateTo(x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
  const xs = stopGradient(x);
  const cs = stopGradient(c);
  const { unit: u, norm: xNorm } = unitRows(xs);
  const { unit: q, norm: cNorm } = unitRows(cs);
  const { unit: w } = unitRows(tf.add(u, q) as tf.Tensor2D);
  const lambda = tf.div(cNorm, tf.maximum(xNorm, TINY));
  // R·x = x − 2(w·x)w + 2(x̂·x)ĉ   (R = I − 2wwᵀ + 2ĉx̂ᵀ)
  const wx = tf.sum(tf.mul(w, x), 1, true);
  const ux = tf.sum(tf.mul(u, x), 1, true);
  const rx = tf.add(tf.sub(x, tf.mul(tf.mul(2, wx), w)), tf.mul(tf.mul(2, ux), q));
  return tf.mul(lambda, rx) as tf.Tensor2D;
}

export interface RotationTrickOptions extends QuantizerOptions {
  /** Commitment weight β (default 0.25). */
  beta?: number;
}

export class RotationTrick extends CodebookQuantizer {
  readonly kind = 'rotation' as const;
  readonly beta: number;

  constructor(opts: RotationTrickOptions) {
    super(opts, true);
    this.beta = opts.beta ?? 0.25;
  }

  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const { indices, c, inference } = this.selectCodewords(x, opts, 'RotationTrick');
    if (inference) return inference;
    const rotated = rotateTo(x, c);
    // rotated + sg(c − rotated): value c exactly, gradient that of the rotation.
    const quantized = straightThrough(rotated, stopGradient(c));
    const codebookLoss = tf.mean(tf.square(tf.sub(stopGradient(x), c)));
    const commitment = tf.mean(tf.square(tf.sub(x, stopGradient(c))));
    const loss = tf.add(codebookLoss, tf.mul(this.beta, commitment)) as tf.Scalar;
    return { quantized, indices, loss };
  }
}
