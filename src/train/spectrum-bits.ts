/**
 * The training loss (DESIGN §3): the expected number of bits the range coder spends on the
 * spectrum, −Σ_k log₂ P(q_k | b_k), with scalar quantisation simulated by additive uniform noise.
 *
 * In step units the coded value is y_k = X_k/Δ_k + u_k, u_k ~ U(−½, ½) (noise substitution for
 * rounding, Ballé-style), and the coder's model is a Laplacian of scale b_k (DESIGN §1 item 4:
 * b = √(s_k/2)/Δ_k, here times a learned per-bin correction exp(θ_k)). The probability of the
 * unit cell around y is P = F(y+½) − F(y−½), F the Laplace CDF. With t = |y|:
 *   t ≥ ½:  P = ½·exp(−(t−½)/b)·(1 − exp(−1/b))
 *   t < ½:  P = −½·(expm1(−(½−t)/b) + expm1(−(½+t)/b))
 * Both forms are free of cancellation. The TF.js and plain TypeScript versions compute the same
 * thing; the TS one serves validation and tests.
 */
import * as tf from '@tensorflow/tfjs';

const LN2 = Math.LN2;
/** Smallest probability a cell may get, so a wildly wrong scale costs ≤ ~100 bits, never ∞. */
export const MIN_CELL_PROBABILITY = 1e-30;

/** Bits for one value: t = |y| (step units), b = Laplacian scale (step units, > 0). */
export function laplaceCellBits(t: number, b: number): number {
  const inv = 1 / b;
  let p: number;
  if (t >= 0.5) {
    p = 0.5 * Math.exp(-(t - 0.5) * inv) * -Math.expm1(-inv);
  } else {
    p = -0.5 * (Math.expm1(-(0.5 - t) * inv) + Math.expm1(-(0.5 + t) * inv));
  }
  return -Math.log(Math.max(p, MIN_CELL_PROBABILITY)) / LN2;
}

/**
 * TF.js version over tensors of equal shape: returns the bits per element. Both branches are
 * evaluated on clamped arguments so that neither produces Inf/NaN where it is not selected
 * (tf.where would otherwise leak NaN into the gradient).
 */
export function laplaceCellBitsTf(t: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inv = tf.reciprocal(b);
    const half = tf.scalar(0.5);
    // Tail branch, t ≥ ½ (use max(t, ½) so the excess is never negative).
    const excess = tf.sub(tf.maximum(t, half), half);
    const logTail = tf.add(
      tf.sub(tf.scalar(Math.log(0.5)), tf.mul(excess, inv)),
      tf.log(tf.maximum(tf.neg(tf.expm1(tf.neg(inv))), tf.scalar(MIN_CELL_PROBABILITY))),
    );
    // Centre branch, t < ½ (use min(t, ½)).
    const tc = tf.minimum(t, half);
    const pc = tf.mul(
      tf.scalar(-0.5),
      tf.add(tf.expm1(tf.neg(tf.mul(tf.sub(half, tc), inv))), tf.expm1(tf.neg(tf.mul(tf.add(half, tc), inv)))),
    );
    const logCentre = tf.log(tf.maximum(pc, tf.scalar(MIN_CELL_PROBABILITY)));
    const logP = tf.where(tf.greaterEqual(t, half), logTail, logCentre);
    return tf.mul(logP, tf.scalar(-1 / LN2));
  });
}

/**
 * Bits of one value and the derivative of those bits with respect to ln b (see the file
 * comment for P). Writes the derivative to `grad[i]` and returns the bits.
 *   t ≥ ½: ∂lnP/∂b = ((t−½) − 1/(e^{1/b} − 1)) / b²
 *   t < ½: ∂lnP/∂b = −½(a·e^{−a/b} + c·e^{−c/b}) / (b²·P),  a = ½−t, c = ½+t
 * and ∂bits/∂ln b = −b·∂lnP/∂b / ln 2.
 * The straightforward form (six transcendentals per centre cell); kept as the reference that
 * `sumCellBitsAndGrad` is tested against.
 */
export function cellBitsAndGradReference(t: number, b: number, grad: Float32Array, i: number): number {
  const inv = 1 / b;
  let p: number;
  let dlnPdlnb: number;
  if (t >= 0.5) {
    const em = -Math.expm1(-inv); // 1 − e^{−1/b}
    p = 0.5 * Math.exp(-(t - 0.5) * inv) * em;
    // 1/(e^{1/b} − 1) = e^{−1/b}/(1 − e^{−1/b})
    dlnPdlnb = ((t - 0.5) - (1 - em) / em) * inv;
  } else {
    const a = 0.5 - t;
    const c = 0.5 + t;
    const ea = Math.exp(-a * inv);
    const ec = Math.exp(-c * inv);
    p = -0.5 * (Math.expm1(-a * inv) + Math.expm1(-c * inv));
    dlnPdlnb = (-0.5 * (a * ea + c * ec) * inv) / Math.max(p, MIN_CELL_PROBABILITY);
  }
  if (!(p > MIN_CELL_PROBABILITY)) {
    grad[i] = 0;
    return -Math.log(MIN_CELL_PROBABILITY) / LN2;
  }
  grad[i] = -dlnPdlnb / LN2;
  return -Math.log(p) / LN2;
}

const LN_HALF = Math.log(0.5);
const LN_MIN_P = Math.log(MIN_CELL_PROBABILITY);
const MAX_CELL_BITS = -LN_MIN_P / LN2;

/**
 * Bits of one cell at 1/b = inv, with ∂bits/∂ln b written to grad[i]: the same quantities as
 * `cellBitsAndGradReference`, with fewer transcendentals (the training step's hot loop):
 *   tail:   ln P = ln ½ − (t−½)/b + ln(1 − e^{−1/b})   (no exp of the excess)
 *   centre: e^{−a/b} = 1 + expm1(−a/b)                 (reuses the expm1 terms of P)
 * Cells whose P would fall below MIN_CELL_PROBABILITY (or is NaN) cost MAX bits with zero
 * gradient, as in the reference. Differences from the reference are float64 rounding only.
 */
function cellBitsAt(t: number, inv: number, grad: Float32Array | Float64Array, i: number): number {
  let lnP: number;
  let dlnPdlnb: number;
  if (t >= 0.5) {
    const em = -Math.expm1(-inv);
    const ex = t - 0.5;
    lnP = LN_HALF - ex * inv + Math.log(em);
    dlnPdlnb = (ex - (1 - em) / em) * inv;
  } else {
    const a = 0.5 - t;
    const c = 0.5 + t;
    const ma = Math.expm1(-a * inv);
    const mc = Math.expm1(-c * inv);
    const p = -0.5 * (ma + mc);
    lnP = Math.log(p);
    dlnPdlnb = (-0.5 * (a * (1 + ma) + c * (1 + mc)) * inv) / p;
  }
  if (!(lnP > LN_MIN_P)) {
    grad[i] = 0;
    return MAX_CELL_BITS;
  }
  grad[i] = -dlnPdlnb / LN2;
  return -lnP / LN2;
}

/** Σ_i bits(t_i, b_i = e^{lnB_i}), with ∂bits_i/∂ln b_i written to grad[i]. */
export function sumCellBitsAndGrad(t: ArrayLike<number>, lnB: ArrayLike<number>, grad: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < t.length; i++) sum += cellBitsAt(t[i], 1 / Math.exp(lnB[i]), grad, i);
  return sum;
}

let useReferenceKernel = false;
/**
 * Route the loss through the reference path: `sumCellBitsOfLogScale` with the per-cell
 * reference kernel, and the trainer's original TF graph for ln b (tests compare the paths).
 */
export function setReferenceCellBits(enabled: boolean): void {
  useReferenceKernel = enabled;
}

export function referenceCellBitsEnabled(): boolean {
  return useReferenceKernel;
}

/**
 * Σ bits over all elements as a TF op of ln b with a fused, analytic gradient: one TypeScript
 * loop instead of ~25 element-wise kernels forward and back (the training step's hot spot).
 * `t` (|y| in step units) is a constant of the step.
 */
export function sumCellBitsOfLogScale(t: Float32Array): (logB: tf.Tensor) => tf.Scalar {
  return (logB: tf.Tensor) => {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const lb = (args[0] as tf.Tensor).dataSync();
      if (lb.length !== t.length) throw new RangeError(`sumCellBitsOfLogScale: ${lb.length} scales for ${t.length} values`);
      const grad = new Float32Array(lb.length);
      let sum = 0;
      if (useReferenceKernel) {
        for (let i = 0; i < lb.length; i++) sum += cellBitsAndGradReference(t[i], Math.exp(lb[i]), grad, i);
      } else {
        sum = sumCellBitsAndGrad(t, lb, grad);
      }
      const shape = (args[0] as tf.Tensor).shape;
      return {
        value: tf.scalar(sum),
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const d = (Array.isArray(dy) ? dy[0] : dy).dataSync()[0];
          if (d !== 1) for (let i = 0; i < grad.length; i++) grad[i] *= d;
          return [tf.tensor(grad, shape)];
        },
      };
    });
    return op(logB) as tf.Scalar;
  };
}

/**
 * The same sum as a TF op of the variances s (frames×bins) and θ (bins), for the trainer's
 * scale b = e^θ·√s·c (DESIGN §3; c = w/(g√2) from frame-targets.ts). b is formed in float64
 * here instead of as ln b = ½ ln s + θ + ln c in the graph, which saves four element-wise
 * kernels forward, their backward, and an exp per cell. Gradients by the chain rule:
 *   ∂/∂s_{f,k} = ½·g_{f,k}/s_{f,k},  ∂/∂θ_k = Σ_f g_{f,k},  g = ∂bits/∂ln b.
 */
export function sumCellBitsOfVariance(t: Float32Array, c: Float32Array, bins: number): (s: tf.Tensor, theta: tf.Tensor) => tf.Scalar {
  return (s: tf.Tensor, theta: tf.Tensor) => {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const sT = args[0] as tf.Tensor;
      const sv = sT.dataSync();
      const th = (args[1] as tf.Tensor).dataSync();
      if (sv.length !== t.length || c.length !== t.length || th.length !== bins || sv.length % bins !== 0) {
        throw new RangeError(`sumCellBitsOfVariance: ${sv.length} variances, ${t.length} values, ${c.length} scales, ${th.length} θ for ${bins} bins`);
      }
      const frames = sv.length / bins;
      const eTheta = new Float64Array(bins);
      for (let k = 0; k < bins; k++) eTheta[k] = Math.exp(th[k]);
      const gS = new Float32Array(sv.length);
      const gTheta = new Float64Array(bins);
      const g = new Float64Array(1);
      let sum = 0;
      for (let f = 0, i = 0; f < frames; f++) {
        for (let k = 0; k < bins; k++, i++) {
          const si = sv[i];
          sum += cellBitsAt(t[i], 1 / (eTheta[k] * Math.sqrt(si) * c[i]), g, 0);
          gS[i] = (0.5 * g[0]) / si;
          gTheta[k] += g[0];
        }
      }
      return {
        value: tf.scalar(sum),
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const d = (Array.isArray(dy) ? dy[0] : dy).dataSync()[0];
          const gt = new Float32Array(bins);
          for (let k = 0; k < bins; k++) gt[k] = gTheta[k] * d;
          if (d !== 1) for (let i = 0; i < gS.length; i++) gS[i] *= d;
          return [tf.tensor(gS, sT.shape), tf.tensor1d(gt)];
        },
      };
    });
    return op(s, theta) as tf.Scalar;
  };
}
