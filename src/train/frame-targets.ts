/**
 * The per-frame constants of the training loss, computed outside autodiff from the *hard*
 * quantised envelope (DESIGN §1 perceptual model, §3 loss):
 *   w_k  perceptual weights from the quantised variance s = B·exp(ê),
 *   g    the global step, set for a fixed perceptual-domain SNR: g²/12 = 10^(−SNR/10)·mean_k (X_k w_k)²
 *        (the codec's rate loop targets a fixed rate instead; a fixed SNR makes "fewer bits at the
 *        same noise" the quantity to minimise),
 *   Δ_k = g / w_k,
 *   t_k  = |X_k/Δ_k + u_k|, u ~ U(−½, ½) (scalar noise substitution),
 *   c_k  = w_k / (g·√2), so the Laplacian scale is b_k = exp(θ_k)·√s_k·c_k = exp(θ_k)·√(s_k/2)/Δ_k.
 * Gradients do not flow through w and g (they are functions of the hard indices).
 */
import { perceptualWeights } from '../model/perceptual.js';

/** Floor for mean (Xw)², about 16-bit quantisation noise power, so digital silence gets a finite step. */
export const PERCEPTUAL_POWER_FLOOR = 1e-10;

export interface FrameTargets {
  /** |y| in step units, frames×bins. */
  t: Float32Array;
  /** w/(g√2), frames×bins. */
  c: Float32Array;
}

/**
 * @param x      MDCT frames, frames×bins
 * @param sHat   quantised per-bin variance, frames×bins
 * @param uniform a source of U(0,1) draws for the noise substitution (deterministic per step)
 */
export function frameTargets(
  x: Float32Array,
  sHat: Float64Array,
  frames: number,
  bins: number,
  snrDb: number,
  uniform: () => number,
): FrameTargets {
  const t = new Float32Array(frames * bins);
  const c = new Float32Array(frames * bins);
  const noiseRatio = Math.pow(10, -snrDb / 10);
  for (let f = 0; f < frames; f++) {
    const o = f * bins;
    const w = perceptualWeights(sHat.subarray(o, o + bins));
    let pw = 0;
    for (let k = 0; k < bins; k++) {
      const v = x[o + k] * w[k];
      pw += v * v;
    }
    pw = pw / bins + PERCEPTUAL_POWER_FLOOR;
    const g = Math.sqrt(12 * noiseRatio * pw);
    for (let k = 0; k < bins; k++) {
      const y = (x[o + k] * w[k]) / g + (uniform() - 0.5);
      t[o + k] = Math.abs(y);
      c[o + k] = w[k] / (g * Math.SQRT2);
    }
  }
  return { t, c };
}
