/**
 * The encoder's scalar quantizer thresholds (issue 12): rate–distortion decisions per scale index
 * instead of one dead zone. A bin with u = |X_k|/Δ_k steps is coded as m + 1 rather than m when
 * (u − m − 1)² + λ·bits_j(m + 1) < (u − m)² + λ·bits_j(m), bits_j being the entropy model's code
 * lengths at its scale index j (sign included). Small values where a nonzero is expensive become
 * zeros; values in wide, cheap distributions round to nearest. An encoder choice only: the
 * decoder is the same for any thresholds. Measurements: docs/quality.md "Rate–distortion quantization".
 */
import { COST_MAGNITUDES, NUM_SCALES, encoderCostTables } from '../model/entropy-model.js';

/**
 * λ in squared steps per bit: 2·ln 2 / 12, the slope −dD/dR of a uniform quantizer at high rate
 * (D = Δ²/12, 6 dB per bit). Training speech put the best λ on a plateau from 0.115 to 0.17.
 */
export const RDO_LAMBDA = (2 * Math.LN2) / 12;

/** Per scale index j: code 0 when u < zero[j], else max(1, ⌊u + round[j]⌋). */
export interface QuantizerThresholds {
  zero: Float64Array;
  round: Float64Array;
}

/**
 * The thresholds for λ (0: the fixed dead zone ⌊u + offset⌋ at every j). The 0 → 1 threshold is
 * ½ + λ(bits(1) − bits(0))/2, clamped to [0.5, 2]; above, m → m + 1 at m + ½ − round with
 * round = ½ − λ(bits(2) − bits(1))/2, clamped to [0.05, 0.5] (the step from 1 to 2 stands for
 * the higher ones, whose costs grow alike in a Laplacian).
 */
export function quantizerThresholds(lambda: number, offset: number): QuantizerThresholds {
  if (!(lambda >= 0 && Number.isFinite(lambda))) throw new RangeError(`encoder rdoLambda must be finite and not negative, got ${lambda}`);
  const zero = new Float64Array(NUM_SCALES);
  const round = new Float64Array(NUM_SCALES);
  const c = encoderCostTables().magnitudeCost;
  for (let j = 0; j < NUM_SCALES; j++) {
    if (lambda === 0) {
      zero[j] = 1 - offset;
      round[j] = offset;
      continue;
    }
    const c0 = c[j * COST_MAGNITUDES];
    const c1 = c[j * COST_MAGNITUDES + 1];
    const c2 = c[j * COST_MAGNITUDES + 2];
    zero[j] = Math.min(2, Math.max(0.5, 0.5 + (lambda * (c1 - c0)) / 2));
    round[j] = Math.min(0.5, Math.max(0.05, 0.5 - (lambda * (c2 - c1)) / 2));
  }
  return { zero, round };
}

/** The magnitude of a bin at u steps, with its scale index's thresholds `zero` and `round`. */
export function quantizeBin(u: number, zero: number, round: number): number {
  return u < zero ? 0 : Math.max(1, Math.floor(u + round));
}
