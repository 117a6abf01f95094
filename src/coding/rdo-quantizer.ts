/**
 * The encoder's scalar quantizer thresholds (issue 12): rate–distortion decisions per scale index
 * instead of one dead zone. A bin with u = |X_k|/Δ_k steps is coded as m + 1 rather than m when
 * (u − m − 1)² + λ·bits_j(m + 1) < (u − m)² + λ·bits_j(m), bits_j being the entropy model's code
 * lengths at its scale index j (sign included). Small values where a nonzero is expensive become
 * zeros; values in wide, cheap distributions round to nearest. An encoder choice only: the
 * decoder is the same for any thresholds. Measurements: docs/quality.md "Rate–distortion quantization".
 */
import { COST_MAGNITUDES, NUM_SCALES, encoderCostTables } from '../model/entropy-model.js';
import type { Bitrate } from './modes.js';

/**
 * λ in squared steps per bit: 2·ln 2 / 12, the slope −dD/dR of a uniform quantizer at high rate
 * (D = Δ²/12, 6 dB per bit). Training speech put the best λ on a plateau from 0.115 to 0.17.
 */
export const RDO_LAMBDA = (2 * Math.LN2) / 12;

/**
 * λ scaled up in the top of the band, per mode (issue 12, round 7): distortion there counts for
 * less than the weighting says. More small values there become zeros, and the rate loop spends
 * their bits below. From highBin, λ × highScale; from topBin, λ × topScale (320 = no region).
 * They were chosen on train-clean-100: at 24.4 / 32 kbit/s +0.005 … +0.008 PESQ and
 * +0.0003 … +0.0005 STOI for −0.03 … −0.01 dB. At 13.2 and 16.4 kbit/s they lost PESQ.
 */
export interface LambdaRegions {
  highBin: number;
  highScale: number;
  topBin: number;
  topScale: number;
}

const ONE_LAMBDA: Readonly<LambdaRegions> = { highBin: 320, highScale: 1, topBin: 320, topScale: 1 };

export const LAMBDA_REGIONS: Readonly<Record<Bitrate, Readonly<LambdaRegions>>> = {
  8000: ONE_LAMBDA,
  9600: ONE_LAMBDA,
  13200: ONE_LAMBDA,
  16400: ONE_LAMBDA,
  // From 6 kHz (bin 240) up; at 32 kbit/s × 4 from 7 kHz (bin 280), above pSNR's and STOI's bands.
  24400: { highBin: 240, highScale: 2, topBin: 320, topScale: 2 },
  32000: { highBin: 240, highScale: 2, topBin: 280, topScale: 4 },
};

/**
 * A mode's λ regions with experiment overrides. Regions start at or above `firstBin` (the comb's
 * band: the comb search costs its bins with one λ) and in order.
 */
export function lambdaRegionsOf(bitrate: Bitrate, t: Partial<LambdaRegions> = {}, firstBin = 0, bins = 320): LambdaRegions {
  const d = LAMBDA_REGIONS[bitrate];
  const r: LambdaRegions = { highBin: t.highBin ?? d.highBin, highScale: t.highScale ?? d.highScale, topBin: t.topBin ?? d.topBin, topScale: t.topScale ?? d.topScale };
  if (!(Number.isInteger(r.highBin) && Number.isInteger(r.topBin) && r.highBin >= firstBin && r.highBin <= r.topBin && r.topBin <= bins)) {
    throw new RangeError(`λ regions: need integers ${firstBin} ≤ highBin ≤ topBin ≤ ${bins}, got ${r.highBin} and ${r.topBin}`);
  }
  if (!(r.highScale > 0 && r.topScale > 0 && Number.isFinite(r.highScale) && Number.isFinite(r.topScale))) {
    throw new RangeError(`λ regions: scales must be finite and positive, got ${r.highScale} and ${r.topScale}`);
  }
  return r;
}

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
