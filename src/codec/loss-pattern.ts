/**
 * Packet-loss patterns for simulation (issue 14): which frames of a stream are lost. A pattern is
 * a mask with one byte per frame (1 = lost), deterministic for a given seed, so the decoder CLI,
 * `nsvq-codec eval --loss` and the PLC bench all drop the same frames for the same settings.
 *
 * - random: each frame is lost independently with probability `rate` (Bernoulli).
 * - burst: the two-state Gilbert model (the Gilbert–Elliott model with loss probability 1 in the
 *   bad state and 0 in the good one; E. N. Gilbert, "Capacity of a burst-noise channel", 1960).
 *   From bad the chain returns to good with q = 1/meanBurst, so bursts are geometric with that
 *   mean; from good it enters bad with p = rate·q/(1 − rate), which makes the stationary loss
 *   rate p/(p + q) equal to `rate`. The first state is drawn from the stationary distribution.
 * - list: the given frame indices (0-based, frame 0 is the stream's first frame).
 */
import { UserError } from '../errors.js';
import { Rng } from '../vq/random.js';

export type LossSpec =
  | { kind: 'random'; rate: number; seed: number }
  | { kind: 'burst'; rate: number; meanBurst: number; seed: number }
  | { kind: 'list'; frames: readonly number[] };

/** Check a spec's numbers (UserError naming the option when one is out of range). */
export function validateLossSpec(spec: LossSpec): void {
  if (spec.kind === 'list') return;
  if (!(spec.rate >= 0 && spec.rate < 1)) throw new UserError(`--loss-rate must be a number in [0, 1), got ${spec.rate}`);
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) throw new UserError(`--loss-seed must be a non-negative integer, got ${spec.seed}`);
  if (spec.kind === 'burst' && !(spec.meanBurst >= 1 && Number.isFinite(spec.meanBurst))) {
    throw new UserError(`--loss-burst (mean burst length in frames) must be a number ≥ 1, got ${spec.meanBurst}`);
  }
}

/** The loss mask of `frameCount` frames: out[j] = 1 when frame j is lost. */
export function lossMask(spec: LossSpec, frameCount: number): Uint8Array {
  validateLossSpec(spec);
  const mask = new Uint8Array(frameCount);
  if (spec.kind === 'list') {
    for (const j of spec.frames) {
      if (j >= frameCount) throw new UserError(`lost frame ${j} is beyond the stream's ${frameCount} frames (indices start at 0)`);
      mask[j] = 1;
    }
    return mask;
  }
  const rng = new Rng(spec.seed);
  if (spec.kind === 'random') {
    for (let j = 0; j < frameCount; j++) mask[j] = rng.uniform() < spec.rate ? 1 : 0;
    return mask;
  }
  const q = 1 / spec.meanBurst;
  const p = (spec.rate * q) / (1 - spec.rate);
  let bad = rng.uniform() < spec.rate;
  for (let j = 0; j < frameCount; j++) {
    mask[j] = bad ? 1 : 0;
    bad = bad ? rng.uniform() >= q : rng.uniform() < p;
  }
  return mask;
}

/**
 * Parse a --lost-frames file: frame indices separated by whitespace or commas, ranges `A-B`
 * (inclusive), `#` comments to the end of a line. UserError naming the file on a bad token.
 */
export function parseLostFrames(text: string, source: string): number[] {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    const body = lines[l].replace(/#.*/, '');
    for (const tok of body.split(/[\s,]+/)) {
      if (!tok) continue;
      const m = /^(\d+)(?:-(\d+))?$/.exec(tok);
      const a = m ? Number(m[1]) : NaN;
      const b = m?.[2] !== undefined ? Number(m[2]) : a;
      if (!m || !Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a || b - a > 1e7) {
        throw new UserError(`${source}:${l + 1}: '${tok}' is not a frame index or range A-B (0-based integers)`);
      }
      for (let j = a; j <= b; j++) out.push(j);
    }
  }
  return out;
}

/** Lost frames and the longest burst of a mask (for reports). */
export function maskStats(mask: Uint8Array): { lost: number; bursts: number; longestBurst: number } {
  let lost = 0;
  let bursts = 0;
  let run = 0;
  let longestBurst = 0;
  for (let j = 0; j < mask.length; j++) {
    if (mask[j]) {
      lost++;
      if (run === 0) bursts++;
      run++;
      if (run > longestBurst) longestBurst = run;
    } else run = 0;
  }
  return { lost, bursts, longestBurst };
}
