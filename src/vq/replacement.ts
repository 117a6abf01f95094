/**
 * Codebook replacement (paper §III-C; DESIGN §2), following the authors' reference code:
 * over a window of W batches, count in how many batches each codeword was selected. A codeword
 * used in fewer than `threshold × W` batches is dead: it is overwritten by a randomly chosen
 * active codeword plus N(0, noiseStd²) noise (active codewords are drawn without repetition
 * while enough exist, else cycled in a random order). If no codeword is active, every codeword
 * gets the noise instead. The window restarts after each replacement.
 *
 * Schedule ("often early, less often later, stop near the end"): replacements happen at steps
 * p₁ = I, p_{m+1} = p_m + round(I·g^m), so the window grows geometrically from I batches by a
 * factor g each time, and none happen after `stopFraction × totalSteps`.
 * Defaults: I = 20 batches, g = 1.25, stopFraction = 0.8, threshold = 0.01 (the paper's value
 * for speech; it used 0.1 for images and the toy study), noiseStd = 1e-3.
 */
import { Rng } from './random.js';
import type { CodebookUsage } from './usage.js';

export interface ReplacementOptions {
  /** Fraction of the window's batches a codeword must be used in to stay (default 0.01). */
  threshold?: number;
  /** First window length in batches, I (default 20). */
  initialInterval?: number;
  /** Window growth factor per replacement, g ≥ 1 (default 1.25). */
  growth?: number;
  /** No replacement after this fraction of `totalSteps` (default 0.8). */
  stopFraction?: number;
  /** Std of the noise added to a copied codeword (default 1e-3). */
  noiseStd?: number;
  /** Planned number of training steps (batches); required for the stop rule. */
  totalSteps: number;
}

export const REPLACEMENT_DEFAULTS = {
  threshold: 0.01,
  initialInterval: 20,
  growth: 1.25,
  stopFraction: 0.8,
  noiseStd: 1e-3,
} as const;

/** Deterministic replacement schedule: which 1-based step numbers end a window. */
export class ReplacementSchedule {
  readonly initialInterval: number;
  readonly growth: number;
  readonly stopAt: number;
  private next: number;
  private m = 0;

  constructor(opts: Pick<ReplacementOptions, 'initialInterval' | 'growth' | 'stopFraction' | 'totalSteps'>) {
    this.initialInterval = opts.initialInterval ?? REPLACEMENT_DEFAULTS.initialInterval;
    this.growth = opts.growth ?? REPLACEMENT_DEFAULTS.growth;
    const stopFraction = opts.stopFraction ?? REPLACEMENT_DEFAULTS.stopFraction;
    if (!(this.initialInterval >= 1) || !(this.growth >= 1) || !(stopFraction >= 0 && stopFraction <= 1)) {
      throw new RangeError('replacement schedule: need initialInterval ≥ 1, growth ≥ 1, 0 ≤ stopFraction ≤ 1');
    }
    this.stopAt = Math.floor(stopFraction * opts.totalSteps);
    this.next = Math.round(this.initialInterval);
  }

  /** Whether `step` would be a replacement step, without advancing the schedule. */
  isDue(step: number): boolean {
    return step <= this.stopAt && step >= this.next;
  }

  /** True when `step` (1-based, called once per step in order) is a replacement step. */
  isReplacementStep(step: number): boolean {
    if (step > this.stopAt) return false;
    if (step < this.next) return false;
    this.m++;
    this.next = step + Math.max(1, Math.round(this.initialInterval * Math.pow(this.growth, this.m)));
    return true;
  }

  /** All replacement steps for a run (for documentation and tests). */
  static steps(opts: ConstructorParameters<typeof ReplacementSchedule>[0]): number[] {
    const s = new ReplacementSchedule(opts);
    const out: number[] = [];
    for (let t = 1; t <= opts.totalSteps; t++) if (s.isReplacementStep(t)) out.push(t);
    return out;
  }
}

export interface ReplacementReport {
  step: number;
  replaced: number;
  active: number;
}

/**
 * Replace the dead codewords of `codebook` (K×D, in place) according to `usage`'s window.
 * Returns the replaced indices. Does not reset the window (the caller does).
 */
export function replaceDeadCodewords(
  codebook: Float32Array | Float64Array,
  dim: number,
  usage: CodebookUsage,
  threshold: number,
  noiseStd: number,
  rng: Rng,
): Int32Array {
  const k = usage.codebookSize;
  const limit = threshold * usage.windowBatches;
  const dead: number[] = [];
  const active: number[] = [];
  for (let j = 0; j < k; j++) (usage.windowBatchesUsed[j] < limit ? dead : active).push(j);
  if (dead.length === 0) return new Int32Array(0);
  if (active.length === 0) {
    for (let i = 0; i < codebook.length; i++) codebook[i] += noiseStd * rng.normal();
    return Int32Array.from(dead);
  }
  let pool: number[] = [];
  for (let d = 0; d < dead.length; d++) {
    if (pool.length === 0) {
      pool = active.slice();
      rng.shuffle(pool);
    }
    const src = pool.pop() as number;
    const dst = dead[d];
    for (let i = 0; i < dim; i++) codebook[dst * dim + i] = codebook[src * dim + i] + noiseStd * rng.normal();
  }
  return Int32Array.from(dead);
}

/** Schedule + rule + RNG bundled for a quantizer that owns one codebook. */
export class CodebookReplacer {
  readonly schedule: ReplacementSchedule;
  readonly threshold: number;
  readonly noiseStd: number;
  readonly history: ReplacementReport[] = [];

  constructor(opts: ReplacementOptions, private readonly rng: Rng) {
    this.schedule = new ReplacementSchedule(opts);
    this.threshold = opts.threshold ?? REPLACEMENT_DEFAULTS.threshold;
    this.noiseStd = opts.noiseStd ?? REPLACEMENT_DEFAULTS.noiseStd;
  }

  /**
   * Call once per training step after the usage was recorded. When the step ends a window,
   * replaces dead codewords in `codebook` (in place), resets the window and returns the
   * replaced indices; otherwise returns null.
   */
  /** Whether a replacement is due at `step` (cheap; lets callers skip reading the codebook). */
  isDue(step: number): boolean {
    return this.schedule.isDue(step);
  }

  maybeReplace(step: number, codebook: Float32Array | Float64Array, dim: number, usage: CodebookUsage): Int32Array | null {
    if (!this.schedule.isReplacementStep(step)) return null;
    const replaced = replaceDeadCodewords(codebook, dim, usage, this.threshold, this.noiseStd, this.rng);
    this.history.push({ step, replaced: replaced.length, active: usage.codebookSize - replaced.length });
    usage.resetWindow();
    return replaced;
  }
}
