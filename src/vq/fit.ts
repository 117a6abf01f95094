/**
 * One training step of a quantizer on its own (the toy study, tests, codebook warm-up): the task
 * loss is the MSE between x and the quantizer output, plus the quantizer's auxiliary loss. For
 * NSVQ and DiVeQ that MSE equals the true quantization MSE (both keep the error norm), for
 * STE/EMA/k-means and the rotation trick the output is the codeword itself; for SF-DiVeQ it is the
 * MSE to the dithered point on the selected segment. Quantizers without trainable variables (EMA,
 * k-means) update themselves inside the forward. Codebook replacement runs after the update.
 */
import * as tf from '@tensorflow/tfjs';
import type { MultiStageNSVQ } from './msvq.js';
import type { VectorQuantizer } from './types.js';

export interface StepResult {
  /** Quantization MSE of the batch (mean over elements), before the update. */
  mse: number;
  /** Replaced codewords (per stage for a MultiStageNSVQ), when replacement ran this step. */
  replaced: number;
}

interface Steppable {
  trainableVariables(): tf.Variable[];
  afterStep?(step: number): Int32Array | null | (Int32Array | null)[];
}

/**
 * Train `vq` for one step on the n×dim batch. `step` is 1-based and drives the replacement
 * schedule. `optimizer` may be null for quantizers without trainable variables.
 */
export function trainStep(
  vq: (VectorQuantizer | MultiStageNSVQ) & Steppable,
  batch: Float32Array,
  n: number,
  step: number,
  optimizer: tf.Optimizer | null,
): StepResult {
  const x = tf.tensor2d(batch, [n, vq.dim]);
  let mse = NaN;
  const lossFn = (): tf.Scalar => {
    const r = vq.forward(x);
    const m = tf.mean(tf.square(tf.sub(x, r.quantized))) as tf.Scalar;
    mse = m.dataSync()[0];
    return tf.add(m, r.loss) as tf.Scalar;
  };
  const vars = vq.trainableVariables();
  if (vars.length > 0) {
    if (!optimizer) throw new Error('trainStep: this quantizer needs an optimizer');
    const cost = optimizer.minimize(lossFn, false, vars as tf.Variable[]);
    cost?.dispose();
  } else tf.tidy(lossFn);
  x.dispose();
  const rep = vq.afterStep ? vq.afterStep(step) : null;
  let replaced = 0;
  if (Array.isArray(rep)) for (const r of rep) replaced += r ? r.length : 0;
  else if (rep) replaced = rep.length;
  return { mse, replaced };
}
