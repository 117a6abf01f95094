/**
 * The call shape shared by every vector quantizer in src/vq (NSVQ, STE, EMA, mini-batch
 * k-means, DiVeQ, SF-DiVeQ, the rotation trick; MultiStageNSVQ returns per-stage indices), after
 * vector-quantize-pytorch:
 * `forward(x) → { quantized, indices, loss }`.
 *
 * - `quantized` replaces x downstream. In training it is differentiable: NSVQ's x̂' (paper eq. 9),
 *   the straight-through x + sg(c − x) for STE / EMA / k-means, DiVeQ's / SF-DiVeQ's
 *   reparameterised error, or the rotation trick's sg(λR)·x. With `training: false` it is
 *   the hard nearest codeword (still differentiable w.r.t. the codebook).
 * - `indices` are the hard nearest-codeword indices, found outside autodiff by the exact TS
 *   kernel (search.ts).
 * - `loss` is the quantizer's own auxiliary loss to add to the task loss: zero for NSVQ,
 *   codebook + β·commitment for STE and the rotation trick, β·commitment for EMA, zero for
 *   k-means, DiVeQ and SF-DiVeQ. SF-DiVeQ's `indices` are segment indices (see sf-diveq.ts).
 *
 * `quantize()` is inference on plain Float32Arrays (no TF.js): indices + codewords.
 */
import type * as tf from '@tensorflow/tfjs';

export type QuantizerKind = 'nsvq' | 'ste' | 'ema' | 'kmeans' | 'diveq' | 'sf-diveq' | 'rotation';

export interface ForwardOptions {
  /** Training forward (default true). false = hard nearest codeword, no side effects. */
  training?: boolean;
  /**
   * Optional positive weighting w (paper eq. 9: distance ‖w ⊙ (x − c)‖), shape [B, D] or [D].
   * Supported by NSVQ; other quantizers throw when given weights.
   */
  weights?: tf.Tensor1D | tf.Tensor2D;
  /**
   * Nearest-codeword indices computed beforehand (e.g. on a SearchPool, which is async and so
   * cannot run inside the tape). They must be the exact nearest codewords of x; not checked.
   */
  indices?: Int32Array;
}

export interface ForwardResult {
  quantized: tf.Tensor2D;
  indices: Int32Array;
  loss: tf.Scalar;
}

export interface HardQuantization {
  indices: Int32Array;
  /** n×dim row-major codewords. */
  quantized: Float32Array;
}

export interface VectorQuantizer {
  readonly kind: QuantizerKind;
  readonly dim: number;
  readonly codebookSize: number;
  /** K×D codebook. Trainable (NSVQ, STE) or updated in forward (EMA, k-means). */
  readonly codebook: tf.Variable<tf.Rank.R2>;
  forward(x: tf.Tensor2D, opts?: ForwardOptions): ForwardResult;
  quantize(data: Float32Array, n: number): HardQuantization;
  /** Variables the task optimiser must update (empty for EMA and k-means). */
  trainableVariables(): tf.Variable[];
  /** Codebook snapshot as a K×D Float32Array. */
  codebookArray(): Float32Array;
  dispose(): void;
}
