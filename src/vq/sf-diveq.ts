/**
 * SF-DiVeQ, space-filling DiVeQ (Vali, Bäckström and Solin, arXiv 2509.26469): the codebook
 * c_0 … c_{K−1} is read as a polygonal curve through consecutive codewords, and x is quantized
 * to a point on the segments [c_i, c_{i+1}] instead of to a codeword.
 *
 * Training (the authors' reference implementation, github.com/AaltoML/DiVeQ): each forward draws
 * a dither λ_i ~ U(0, 1) per segment, giving K − 1 points p_i = (1 − λ_i)c_i + λ_i c_{i+1}; x goes
 * to the nearest p_i (exact search), and the point is reparameterised as DiVeQ does for each end:
 *
 *     x̂ = x + (1 − λ_i)‖c_i − x‖ · sg(u_i) + λ_i‖c_{i+1} − x‖ · sg(u_{i+1}),
 *     u_j = (c_j − x + ε_j)/‖c_j − x + ε_j‖,   ε_j ~ N(0, σ²I),
 *
 * whose value is p_i up to the noise; gradients reach x, c_i and c_{i+1} through the two
 * magnitudes. No auxiliary loss and, as in the reference, no codebook replacement is needed.
 *
 * Inference (`forward(x, { training: false })`, `quantize`): the exact nearest point on the
 * curve, over all K − 1 segments (`nearestOnSegments`). The reference code instead projects only
 * onto the two segments next to the nearest codeword; see docs/vq.md. `indices` are segment
 * indices i ∈ [0, K − 2] (the point lies on [c_i, c_{i+1}]); `quantizeToCodewords` gives the
 * plain nearest-codeword (log2 K bit) quantization of the same codebook.
 */
import * as tf from '@tensorflow/tfjs';
import { CodebookQuantizer, type QuantizerOptions } from './base.js';
import { diveqError } from './diveq.js';
import { nearestCodewords } from './search.js';
import { selectRows } from './select.js';
import type { ForwardOptions, ForwardResult, HardQuantization } from './types.js';

/** The K − 1 dithered points p_i = (1 − λ_i)c_i + λ_i c_{i+1} as a (K − 1)×D array. */
export function ditheredPoints(codebook: Float32Array, k: number, dim: number, lambda: Float32Array): Float32Array {
  if (k < 2) throw new RangeError('SF-DiVeQ needs at least 2 codewords');
  if (lambda.length !== k - 1) throw new RangeError(`lambda: length ${lambda.length}, expected ${k - 1}`);
  const out = new Float32Array((k - 1) * dim);
  for (let i = 0; i < k - 1; i++) {
    const l = lambda[i];
    for (let d = 0; d < dim; d++) out[i * dim + d] = (1 - l) * codebook[i * dim + d] + l * codebook[(i + 1) * dim + d];
  }
  return out;
}

export interface SegmentProjection {
  /** Segment index i per row: the point lies on [c_i, c_{i+1}]. */
  segments: Int32Array;
  /** Position t ∈ [0, 1] on the segment: point = (1 − t)c_i + t·c_{i+1}. */
  t: Float64Array;
  /** n×dim nearest points on the curve. */
  points: Float32Array;
}

/**
 * Exact nearest point on the polygonal curve c_0 – c_1 – … – c_{K−1} for each row of data, in
 * float64: per segment t* = clamp(((x − c_i)·(c_{i+1} − c_i)) / ‖c_{i+1} − c_i‖², 0, 1), distance
 * ‖x − c_i − t*(c_{i+1} − c_i)‖²; the argmin over segments, ties → the lowest index.
 * A segment of zero length projects to its start. O(n·K·D).
 */
export function nearestOnSegments(data: Float32Array, n: number, codebook: Float32Array, k: number, dim: number): SegmentProjection {
  if (k < 2) throw new RangeError('nearestOnSegments needs at least 2 codewords');
  if (data.length < n * dim || codebook.length < k * dim) throw new RangeError('nearestOnSegments: arrays too short');
  const segs = k - 1;
  // Segment directions and squared lengths, once.
  const dir = new Float64Array(segs * dim);
  const len2 = new Float64Array(segs);
  for (let i = 0; i < segs; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = codebook[(i + 1) * dim + d] - codebook[i * dim + d];
      dir[i * dim + d] = v;
      s += v * v;
    }
    len2[i] = s;
  }
  const segments = new Int32Array(n);
  const tOut = new Float64Array(n);
  const points = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const xo = r * dim;
    let best = Infinity;
    let bestI = 0;
    let bestT = 0;
    for (let i = 0; i < segs; i++) {
      const co = i * dim;
      let t = 0;
      if (len2[i] > 0) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += (data[xo + d] - codebook[co + d]) * dir[co + d];
        t = Math.min(1, Math.max(0, dot / len2[i]));
      }
      let dist = 0;
      for (let d = 0; d < dim; d++) {
        const e = data[xo + d] - (codebook[co + d] + t * dir[co + d]);
        dist += e * e;
      }
      if (dist < best) {
        best = dist;
        bestI = i;
        bestT = t;
      }
    }
    segments[r] = bestI;
    tOut[r] = bestT;
    for (let d = 0; d < dim; d++) points[xo + d] = codebook[bestI * dim + d] + bestT * dir[bestI * dim + d];
  }
  return { segments, t: tOut, points };
}

/**
 * SF-DiVeQ's training output for x [B, D], the segment ends c0 = c_i and c1 = c_{i+1} [B, D],
 * their dithers λ [B, 1] and the directional noises ε0, ε1 [B, D]:
 * x + (1 − λ)‖c0 − x‖·sg(u0) + λ‖c1 − x‖·sg(u1).
 */
export function sfDiveq(x: tf.Tensor2D, c0: tf.Tensor2D, c1: tf.Tensor2D, lambda: tf.Tensor2D, eps0: tf.Tensor2D, eps1: tf.Tensor2D): tf.Tensor2D {
  const e0 = tf.mul(tf.sub(1, lambda), diveqError(x, c0, eps0));
  const e1 = tf.mul(lambda, diveqError(x, c1, eps1));
  return tf.add(x, tf.add(e0, e1)) as tf.Tensor2D;
}

export interface SFDiVeQOptions extends QuantizerOptions {
  /** Standard deviation σ of the directional noise (default 1e-3, as for DiVeQ). */
  noiseStd?: number;
}

export class SFDiVeQ extends CodebookQuantizer {
  readonly kind = 'sf-diveq' as const;
  readonly noiseStd: number;

  constructor(opts: SFDiVeQOptions) {
    super(opts, true);
    if (opts.codebookSize < 2) throw new RangeError('SF-DiVeQ needs at least 2 codewords');
    this.noiseStd = opts.noiseStd ?? 1e-3;
    if (!(this.noiseStd >= 0)) throw new RangeError('SF-DiVeQ: noiseStd must be ≥ 0');
  }

  /**
   * Training: nearest dithered point, reparameterised (see the file comment); `indices` are the
   * segments. `training: false`: the exact nearest point on the curve, differentiable w.r.t. the
   * codebook at fixed (segment, t).
   */
  forward(x: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    if (opts.weights) throw new RangeError('SF-DiVeQ: weighting is not supported');
    if (opts.indices) throw new RangeError('SF-DiVeQ: draws its own dither, so precomputed indices cannot be used');
    const [b, dim] = x.shape;
    if (dim !== this.dim) throw new RangeError(`input has dim ${dim}, quantizer has ${this.dim}`);
    const k = this.codebookSize;
    const cb = this.codebookArray();
    const data = x.dataSync() as Float32Array;
    const training = opts.training ?? true;
    let segments: Int32Array;
    let weight: Float32Array; // λ of the chosen segment, per row
    if (training) {
      const lambda = new Float32Array(k - 1);
      for (let i = 0; i < k - 1; i++) lambda[i] = this.rng.uniform();
      segments = nearestCodewords(data, b, ditheredPoints(cb, k, dim, lambda), k - 1, dim);
      weight = new Float32Array(b);
      for (let r = 0; r < b; r++) weight[r] = lambda[segments[r]];
    } else {
      const p = nearestOnSegments(data, b, cb, k, dim);
      segments = p.segments;
      weight = Float32Array.from(p.t);
    }
    const next = segments.map((i) => i + 1);
    const c0 = selectRows(this.codebook, segments);
    const c1 = selectRows(this.codebook, next);
    const lam = tf.tensor2d(weight, [b, 1]);
    if (!training) {
      const point = tf.add(tf.mul(tf.sub(1, lam), c0), tf.mul(lam, c1)) as tf.Tensor2D;
      return { quantized: point, indices: segments, loss: tf.scalar(0) };
    }
    this.usage.record(segments);
    const eps0 = tf.tensor2d(this.rng.normalArray(b * dim, this.noiseStd), [b, dim]);
    const eps1 = tf.tensor2d(this.rng.normalArray(b * dim, this.noiseStd), [b, dim]);
    return { quantized: sfDiveq(x, c0, c1, lam, eps0, eps1), indices: segments, loss: tf.scalar(0) };
  }

  /** Inference on the curve: segment indices and the exact nearest points. */
  override quantize(data: Float32Array, n: number): HardQuantization {
    const p = nearestOnSegments(data, n, this.codebookArray(), this.codebookSize, this.dim);
    return { indices: p.segments, quantized: p.points };
  }

  /** Plain nearest-codeword quantization of the same codebook (log2 K bits per vector). */
  quantizeToCodewords(data: Float32Array, n: number): HardQuantization {
    return super.quantize(data, n);
  }
}
