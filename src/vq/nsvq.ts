/**
 * NSVQ: Noise Substitution in Vector Quantization (Vali & Bäckström, IEEE Access 2022, eq. 9):
 *
 *     x̂' = x + (‖w ⊙ (x − c)‖ / ‖v‖) · v ⊘ w,     v ~ N(0, I),
 *
 * with c the nearest codeword under ‖w ⊙ (x − c)‖ (w = 1 when no weighting is given). x̂'
 * replaces the quantizer in training: its error has exactly the weighted norm of the true
 * quantization error, and gradients reach x and c through that norm (TF.js autodiff), so no
 * auxiliary loss is needed (`loss` is 0). Inference is the hard nearest codeword.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import type { ForwardOptions, ForwardResult } from './types.js';

/** Squared norms below this are clamped before the sqrt so the gradient at x = c is 0, not NaN. */
const TINY = 1e-30;

/**
 * Eq. 9 as a differentiable TF.js function of x [B, D] and c [B, D] (selected codewords), with
 * the noise v [B, D] given (so tests can fix it) and an optional weighting w ([B, D] or [D]).
 */
export function noiseSubstitution(x: tf.Tensor2D, c: tf.Tensor2D, v: tf.Tensor2D, w?: tf.Tensor): tf.Tensor2D {
  // No tidy here: the caller's tape/tidy owns the intermediates the gradient needs.
  let err: tf.Tensor = tf.sub(x, c);
  if (w) err = tf.mul(err, w);
  const errNorm = tf.sqrt(tf.maximum(tf.sum(tf.square(err), 1, true), TINY));
  const vNorm = tf.sqrt(tf.sum(tf.square(v), 1, true));
  const dir = w ? tf.div(v, w) : v;
  return tf.add(x, tf.mul(tf.div(errNorm, vNorm), dir)) as tf.Tensor2D;
}

export type NSVQOptions = QuantizerOptions;

export class NSVQ extends CodebookQuantizer {
  readonly kind = 'nsvq' as const;

  constructor(opts: NSVQOptions) {
    super(opts, true);
  }

  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const { indices, c, inference } = this.selectCodewords(x, opts, null);
    if (inference) return inference;
    const [b, d] = x.shape;
    const v = tf.tensor2d(this.rng.normalArray(b * d), [b, d]);
    const quantized = noiseSubstitution(x, c, v, opts.weights);
    return { quantized, indices, loss: tf.scalar(0) };
  }
}
