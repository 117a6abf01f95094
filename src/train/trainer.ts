/**
 * End-to-end training of the envelope quantiser (DESIGN §2–§3, issue 6).
 *
 * Trained jointly, all with Adam:
 *   A = exp(α)  (bands×bins)  analysis:  e = log(A·X² + ε)
 *   B = exp(β)  (bins×bands)  synthesis: s = B·exp(ê)
 *   C_i         (K×bands)     MSVQ codebooks, one per stage
 *   θ           (bins)        entropy model: Laplacian scale b_k = exp(θ_k)·√(s_k/2)/Δ_k
 * The exp parametrisation keeps A and B positive (ν and s are powers).
 *
 * Loss per frame: expected spectrum bits (see spectrum-bits.ts, frame-targets.ts) with the
 * envelope passed through the estimator:
 *   nsvq  ê' = e + (‖e − ĉ‖/‖v‖)·v, v ~ N(0, I), on the total MSVQ error (paper eq. 9, DESIGN §2)
 *   ste   ê = e + sg(ĉ − e), plus ‖sg(e) − ĉ‖² + β‖e − sg(ĉ)‖², β = 0.25
 *   ema   ê = e + sg(ĉ − e), plus β‖e − sg(ĉ)‖²; codebooks follow EMA k-means (decay 0.99)
 *   diveq ê = e + ‖ĉ − e‖·sg(d/‖d‖), d = ĉ − e + ε, ε ~ N(0, σ²I), σ = 1e-3 (src/vq/diveq.ts), on
 *         the total MSVQ error like NSVQ; no auxiliary loss
 *   sf-diveq (one stage only) ê = e + (1−λ)‖c_i − e‖·sg(u_i) + λ‖c_{i+1} − e‖·sg(u_{i+1}) on the
 *         segment [c_i, c_{i+1}] whose dithered point (1−λ_i)c_i + λ_i c_{i+1}, λ_i ~ U(0, 1) per
 *         segment and step, is nearest to e (src/vq/sf-diveq.ts); no auxiliary loss. The codec
 *         still quantises to the nearest codeword (the curve is a training device only)
 *   rotation ê = sg(λR)·e (+ a constant that makes the value ĉ exactly), R the rotation taking
 *         e/‖e‖ to ĉ/‖ĉ‖, λ = ‖ĉ‖/‖e‖ (src/vq/rotation.ts), plus STE's codebook and commitment loss
 * where ĉ = Σ_{i<S_f} C_i[idx_i] and S_f is drawn per frame from the modes' stage counts
 * (stage dropout, so every mode's stage count is trained).
 *
 * The nearest-codeword search runs outside autodiff in the VQ engineer's TS kernel (worker pool);
 * codeword selection enters the graph through a custom-gradient gather (the wasm backend has no
 * UnsortedSegmentSum, DESIGN §2 TF.js facts). All randomness comes from generators seeded by
 * (seed, step), and Adam is ours, so a checkpoint restores the run bit-exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { ENVELOPE_FLOOR, type CodecModel, type EntropyModelParams } from '../model/codec-model.js';
import { defaultAnalysisMatrix, defaultSynthesisMatrix } from '../model/default-envelope.js';
import { Rng } from '../vq/random.js';
import { nearestCodewords } from '../vq/search.js';
import type { SearchPool } from '../vq/search-pool.js';
import { ReplacementSchedule, replaceDeadCodewords, REPLACEMENT_DEFAULTS } from '../vq/replacement.js';
import { CodebookUsage, perplexityOf } from '../vq/usage.js';
import { ditheredPoints } from '../vq/sf-diveq.js';
import { adamUpdate } from './adam.js';
import { frameTargets } from './frame-targets.js';
import { laplaceCellBits, referenceCellBitsEnabled, sumCellBitsOfLogScale, sumCellBitsOfVariance } from './spectrum-bits.js';
import { perceptualWeights } from '../model/perceptual.js';
import { LAPLACE_LOG_SCALE_PER_BIN } from '../model/entropy-model.js';
import { PERCEPTUAL_POWER_FLOOR } from './frame-targets.js';

export const ESTIMATORS = ['nsvq', 'ste', 'ema', 'diveq', 'sf-diveq', 'rotation'] as const;
export type Estimator = (typeof ESTIMATORS)[number];

/** The entropy-model kind the trainer writes; the codec reads it (src/model/entropy-model.ts). */
export const ENTROPY_MODEL_KIND = LAPLACE_LOG_SCALE_PER_BIN;
/** Smallest value an exp-parametrised A/B entry starts from (exact zeros have no log). */
const PARAM_FLOOR = 1e-7;

export interface TrainerConfig {
  estimator: Estimator;
  /** Number of MSVQ stages trained (S_max). */
  stages: number;
  stageBits: number;
  bins: number;
  bands: number;
  lr: number;
  seed: number;
  /** Fixed perceptual-domain SNR (dB) that sets the step of the simulated scalar quantiser. */
  snrDb: number;
  /** Bitrate → stage count; the distinct counts are the stage-dropout choices. */
  stagesPerMode: Record<string, number>;
  /** Planned number of steps: the codebook-replacement schedule is laid out over it. */
  plannedSteps: number;
  /** Replace codewords used less than this many times per batch on average (paper: 1 % for speech). */
  replaceThreshold: number;
  commitmentBeta: number;
  emaDecay: number;
}

/** Standard deviation of DiVeQ's / SF-DiVeQ's directional noise (the VQ library's default). */
export const DIVEQ_NOISE_STD = 1e-3;

export function defaultTrainerConfig(over: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    estimator: 'nsvq',
    stages: 4,
    stageBits: 12,
    bins: 320,
    bands: 16,
    lr: 1e-3,
    seed: 1,
    snrDb: 6,
    stagesPerMode: { '8000': 2, '9600': 2, '13200': 3, '16400': 3, '24400': 4, '32000': 4 },
    plannedSteps: 1000,
    replaceThreshold: 0.01,
    commitmentBeta: 0.25,
    emaDecay: 0.99,
    ...over,
  };
}

/** Everything that defines a run's state; a checkpoint stores exactly this. */
export interface TrainerState {
  config: TrainerConfig;
  step: number;
  alpha: Float32Array;
  beta: Float32Array;
  theta: Float32Array;
  codebooks: Float32Array[];
  /** Adam moments, one per trainable tensor, in the order of `paramList`. */
  adamM: Float32Array[];
  adamV: Float32Array[];
  /** Per stage: in how many batches of the current replacement window each codeword was used. */
  usage: Float64Array[];
  /** Batches in the current replacement window. */
  usageBatches: number;
  /** Per stage: codeword selections in the current window (for perplexity). */
  counts: Float64Array[];
  /** EMA k-means state (estimator 'ema'): counts and sums per stage. */
  emaCounts: Float64Array[];
  emaSums: Float64Array[];
  /** Cumulative number of replaced codewords per stage. */
  replacedTotal: number[];
}

export interface StepStats {
  step: number;
  /** Expected spectrum bits per frame (the loss without auxiliary VQ terms). */
  bits: number;
  /** Auxiliary codebook/commitment loss (STE/EMA), 0 for NSVQ. */
  aux: number;
  /** Mean squared envelope quantisation error per frame (hard, all stages of each frame). */
  envMse: number;
  /** Codebook perplexity per stage over the current usage window. */
  perplexity: number[];
  /** Codewords replaced in this step, per stage (all zero when no check ran). */
  replaced: number[];
}

export interface ModeValidation {
  bitrate: number;
  stages: number;
  /** Expected spectrum bits per frame at the training SNR (hard-quantised envelope). */
  bitsPerFrame: number;
  /** Envelope log-spectral distortion, dB: RMS over bins of 10·log10(s(ê)/s(e)), mean over frames. */
  lsdDb: number;
}

export interface ValidationResult {
  frames: number;
  modes: ModeValidation[];
  perplexity: number[];
}

/** 32-bit mix of integers (for per-step seeds): splitmix-like, deterministic everywhere. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

function logOf(m: Float32Array): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = Math.log(Math.max(m[i], PARAM_FLOOR));
  return out;
}

function expOf(m: Float32Array): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = Math.exp(m[i]);
  return out;
}

/** Distinct stage counts of the modes that the trained stages can serve, ascending. */
export function stageChoices(cfg: TrainerConfig): number[] {
  const set = new Set<number>();
  for (const s of Object.values(cfg.stagesPerMode)) if (s >= 1 && s <= cfg.stages) set.add(s);
  if (set.size === 0) set.add(cfg.stages);
  return [...set].sort((a, b) => a - b);
}

export class Trainer {
  readonly config: TrainerConfig;
  private st: TrainerState;
  private readonly K: number;
  private pool: SearchPool | null = null;
  /** Steps that end a replacement window (the VQ library's schedule, paper §III-C). */
  private readonly replacementSteps: Set<number>;

  private constructor(state: TrainerState) {
    this.config = state.config;
    this.st = state;
    this.K = 2 ** state.config.stageBits;
    if (state.config.estimator === 'sf-diveq' && state.codebooks.length !== 1) {
      throw new RangeError('the sf-diveq estimator trains a single stage (use --stages 1)');
    }
    this.replacementSteps = new Set(ReplacementSchedule.steps({ totalSteps: state.config.plannedSteps }));
  }

  /** Use a worker pool for the nearest-codeword search (results are identical to the serial kernel). */
  setSearchPool(pool: SearchPool | null): void {
    this.pool = pool;
  }

  get step(): number {
    return this.st.step;
  }

  /** Start from an existing model (e.g. the shipped residual-k-means model). */
  static fromModel(model: CodecModel, over: Partial<TrainerConfig> = {}): Trainer {
    const cfg = defaultTrainerConfig({
      bins: model.bins,
      bands: model.bands,
      stageBits: model.stageBits,
      stages: model.codebooks.length,
      stagesPerMode: { ...model.stagesPerMode },
      ...over,
    });
    if (cfg.stageBits !== model.stageBits || cfg.bins !== model.bins || cfg.bands !== model.bands) {
      throw new RangeError('Trainer.fromModel: stage bits, bins and bands must match the initial model');
    }
    const K = 2 ** cfg.stageBits;
    const codebooks: Float32Array[] = [];
    for (let s = 0; s < cfg.stages; s++) {
      codebooks.push(s < model.codebooks.length ? Float32Array.from(model.codebooks[s]) : new Float32Array(K * cfg.bands));
    }
    let theta = new Float32Array(cfg.bins);
    if (model.entropyModel?.kind === ENTROPY_MODEL_KIND && model.entropyModel.params.length === cfg.bins) {
      theta = Float32Array.from(model.entropyModel.params);
    }
    return new Trainer(Trainer.freshState(cfg, logOf(model.analysis), logOf(model.synthesis), theta, codebooks));
  }

  /**
   * Start from the default A/B (equal bands, interpolation) and codebooks drawn from the data:
   * stage i's codewords are the stage-i residuals of randomly chosen frames (a k-means++-free
   * "random sample" initialisation), plus tiny noise so repeats are distinct.
   */
  static fromData(x: Float32Array, frames: number, over: Partial<TrainerConfig> = {}): Trainer {
    const cfg = defaultTrainerConfig(over);
    const { bins, bands } = cfg;
    const K = 2 ** cfg.stageBits;
    const A = defaultAnalysisMatrix(bins, bands);
    const B = defaultSynthesisMatrix(bins, bands);
    const e = envelopesOf(x, frames, bins, bands, A);
    const rng = new Rng(mixSeed(cfg.seed, 0x1a17));
    const codebooks: Float32Array[] = [];
    const resid = Float32Array.from(e);
    for (let s = 0; s < cfg.stages; s++) {
      const cb = new Float32Array(K * bands);
      for (let j = 0; j < K; j++) {
        const f = rng.int(frames);
        for (let d = 0; d < bands; d++) cb[j * bands + d] = resid[f * bands + d] + 1e-3 * rng.normal();
      }
      const idx = nearestCodewords(resid, frames, cb, K, bands);
      for (let f = 0; f < frames; f++) {
        for (let d = 0; d < bands; d++) resid[f * bands + d] -= cb[idx[f] * bands + d];
      }
      codebooks.push(cb);
    }
    return new Trainer(Trainer.freshState(cfg, logOf(A), logOf(B), new Float32Array(bins), codebooks));
  }

  static fromState(state: TrainerState): Trainer {
    return new Trainer(state);
  }

  private static freshState(cfg: TrainerConfig, alpha: Float32Array, beta: Float32Array, theta: Float32Array, codebooks: Float32Array[]): TrainerState {
    const K = 2 ** cfg.stageBits;
    const st: TrainerState = {
      config: cfg,
      step: 0,
      alpha,
      beta,
      theta,
      codebooks,
      adamM: [],
      adamV: [],
      usage: codebooks.map(() => new Float64Array(K)),
      usageBatches: 0,
      counts: codebooks.map(() => new Float64Array(K)),
      emaCounts: [],
      emaSums: [],
      replacedTotal: codebooks.map(() => 0),
    };
    for (const p of Trainer.paramListOf(st)) {
      st.adamM.push(new Float32Array(p.length));
      st.adamV.push(new Float32Array(p.length));
    }
    if (cfg.estimator === 'ema') {
      for (const cb of codebooks) {
        st.emaCounts.push(new Float64Array(K).fill(1));
        st.emaSums.push(Float64Array.from(cb));
      }
    }
    return st;
  }

  /** The Adam-trained tensors: α, β, θ, then the codebooks unless EMA updates them. */
  private static paramListOf(st: TrainerState): Float32Array[] {
    const list = [st.alpha, st.beta, st.theta];
    if (st.config.estimator !== 'ema') list.push(...st.codebooks);
    return list;
  }

  /** A deep copy of the full state (what a checkpoint holds). */
  snapshot(): TrainerState {
    const s = this.st;
    return {
      config: { ...s.config, stagesPerMode: { ...s.config.stagesPerMode } },
      step: s.step,
      alpha: s.alpha.slice(),
      beta: s.beta.slice(),
      theta: s.theta.slice(),
      codebooks: s.codebooks.map((c) => c.slice()),
      adamM: s.adamM.map((c) => c.slice()),
      adamV: s.adamV.map((c) => c.slice()),
      usage: s.usage.map((c) => c.slice()),
      usageBatches: s.usageBatches,
      counts: s.counts.map((c) => c.slice()),
      emaCounts: s.emaCounts.map((c) => c.slice()),
      emaSums: s.emaSums.map((c) => c.slice()),
      replacedTotal: s.replacedTotal.slice(),
    };
  }

  /** Current A (bands×bins). */
  analysisMatrix(): Float32Array {
    return expOf(this.st.alpha);
  }

  /** Current B (bins×bands). */
  synthesisMatrix(): Float32Array {
    return expOf(this.st.beta);
  }

  /** The trained model in the model engineer's format (serializeModel input). */
  toModel(card?: Record<string, unknown>): Omit<CodecModel, 'id'> {
    const c = this.config;
    const entropyModel: EntropyModelParams = { kind: ENTROPY_MODEL_KIND, params: this.st.theta.slice() };
    const m: Omit<CodecModel, 'id'> = {
      bins: c.bins,
      bands: c.bands,
      analysis: this.analysisMatrix(),
      synthesis: this.synthesisMatrix(),
      stageBits: c.stageBits,
      codebooks: this.st.codebooks.map((cb) => cb.slice()),
      stagesPerMode: { ...c.stagesPerMode },
      entropyModel,
    };
    if (card) m.card = card;
    return m;
  }

  /** Hard MSVQ search of every stage (greedy residual), returning indices per stage. */
  private async searchAll(e: Float32Array, frames: number): Promise<Int32Array[]> {
    const { bands } = this.config;
    const K = this.K;
    const resid = Float32Array.from(e);
    const out: Int32Array[] = [];
    for (let s = 0; s < this.st.codebooks.length; s++) {
      const cb = this.st.codebooks[s];
      const idx = this.pool
        ? await this.pool.nearest(resid, frames, cb, K, bands)
        : nearestCodewords(resid, frames, cb, K, bands);
      out.push(idx);
      if (s + 1 < this.st.codebooks.length) {
        for (let f = 0; f < frames; f++) {
          const co = idx[f] * bands;
          for (let d = 0; d < bands; d++) resid[f * bands + d] -= cb[co + d];
        }
      }
    }
    return out;
  }

  /** ĉ for each frame: the sum of its first S_f stage codewords. */
  private reconstruct(idx: Int32Array[], stagesOf: (f: number) => number, frames: number): Float32Array {
    const { bands } = this.config;
    const q = new Float32Array(frames * bands);
    for (let f = 0; f < frames; f++) {
      const S = stagesOf(f);
      for (let s = 0; s < S; s++) {
        const cb = this.st.codebooks[s];
        const co = idx[s][f] * bands;
        for (let d = 0; d < bands; d++) q[f * bands + d] += cb[co + d];
      }
    }
    return q;
  }

  /** s = B·exp(ê) for every frame (float64). */
  private variances(eHat: Float32Array, frames: number, B: Float32Array): Float64Array {
    const { bins, bands } = this.config;
    const s = new Float64Array(frames * bins);
    const lv = new Float64Array(bands);
    for (let f = 0; f < frames; f++) {
      for (let d = 0; d < bands; d++) lv[d] = Math.exp(eHat[f * bands + d]);
      for (let k = 0; k < bins; k++) {
        let acc = 0;
        const row = k * bands;
        for (let d = 0; d < bands; d++) acc += B[row + d] * lv[d];
        s[f * bins + k] = acc;
      }
    }
    return s;
  }

  /** One training step on a batch of MDCT frames (frames×bins). */
  async trainStep(x: Float32Array, frames: number): Promise<StepStats> {
    const cfg = this.config;
    const { bins, bands } = cfg;
    const K = this.K;
    const st = this.st;
    const stepNo = st.step + 1;
    const rng = new Rng(mixSeed(cfg.seed, stepNo, 0x57e9));

    const A = expOf(st.alpha);
    const B = expOf(st.beta);
    const e = envelopesOf(x, frames, bins, bands, A);
    const idx = await this.searchAll(e, frames);

    // Stage dropout: each frame uses the stage count of a randomly drawn mode.
    const choices = stageChoices(cfg);
    const S = new Int32Array(frames);
    for (let f = 0; f < frames; f++) S[f] = choices[rng.int(choices.length)];
    const q = this.reconstruct(idx, (f) => S[f], frames);

    let envMse = 0;
    for (let i = 0; i < frames * bands; i++) envMse += (e[i] - q[i]) ** 2;
    envMse /= frames;

    // Constants of the loss from the hard envelope.
    const sHard = this.variances(q, frames, B);
    const { t, c } = frameTargets(x, sHard, frames, bins, cfg.snrDb, () => rng.uniform());

    // NSVQ direction v/‖v‖ per frame.
    const vDir = new Float32Array(frames * bands);
    if (cfg.estimator === 'nsvq') {
      for (let f = 0; f < frames; f++) {
        let n2 = 0;
        for (let d = 0; d < bands; d++) {
          const v = rng.normal();
          vDir[f * bands + d] = v;
          n2 += v * v;
        }
        const inv = 1 / Math.sqrt(n2);
        for (let d = 0; d < bands; d++) vDir[f * bands + d] *= inv;
      }
    }

    // DiVeQ / SF-DiVeQ / rotation constants (directions and maps held fixed in the backward pass).
    const extra = await this.estimatorConstants(e, q, frames, rng);

    const params = Trainer.paramListOf(st);
    const stages = st.codebooks.length;
    let bitsValue = 0;
    let auxValue = 0;
    // tidy returns the gradient tensors (not their data: tidy walks every element of a returned
    // typed array looking for tensors, ~10 % of a step); they are read and freed below.
    const gradTensors: tf.Tensor[] = tf.tidy(() => {
      const power = tf.tensor2d(squareOf(x), [frames, bins]);
      // Reference path: ln b formed in the graph (the original formulation, kept for tests).
      const reference = referenceCellBitsEnabled();
      const logC = reference ? tf.tensor2d(logOfPositive(c), [frames, bins]) : null;
      const sumBits = reference ? sumCellBitsOfLogScale(t) : null;
      const sumBitsOfVariance = sumCellBitsOfVariance(t, c, bins);
      const eConst = tf.tensor2d(e, [frames, bands]);
      const qConst = tf.tensor2d(q, [frames, bands]);
      const vT = tf.tensor2d(vDir, [frames, bands]);
      const inputs = params.map((p, i) => (i === 0 ? tf.tensor2d(p, [bands, bins]) : i === 1 ? tf.tensor2d(p, [bins, bands]) : i === 2 ? tf.tensor1d(p) : tf.tensor2d(p, [K, bands])));
      const msvqSum = msvqSumOp(idx, S, frames, bands, K, stages);
      const lossFn = (...ins: tf.Tensor[]): tf.Scalar => {
        const [alphaT, betaT, thetaT, ...cbT] = ins;
        const eT = tf.log(tf.add(tf.matMul(power, tf.exp(alphaT), false, true), ENVELOPE_FLOOR));
        let eHat: tf.Tensor;
        let aux: tf.Scalar = tf.scalar(0);
        if (cfg.estimator === 'nsvq') {
          const r = tf.sub(eT, msvqSum(cbT));
          const norm = tf.sqrt(tf.add(tf.sum(tf.square(r), 1, true), 1e-12));
          eHat = tf.add(eT, tf.mul(norm, vT));
        } else if (extra.kind === 'diveq') {
          const norm = rowNormOf(tf.sub(msvqSum(cbT), eT));
          eHat = tf.add(eT, tf.mul(norm, tf.tensor2d(extra.dir, [frames, bands])));
        } else if (extra.kind === 'sf-diveq') {
          const one = new Int32Array(frames).fill(1);
          const c0 = msvqSumOp([extra.seg], one, frames, bands, K, 1)([cbT[0]]);
          const c1 = msvqSumOp([extra.next], one, frames, bands, K, 1)([cbT[0]]);
          const lam = tf.tensor2d(extra.lambda, [frames, 1]);
          const e0 = tf.mul(tf.mul(tf.sub(1, lam), rowNormOf(tf.sub(c0, eT))), tf.tensor2d(extra.u0, [frames, bands]));
          const e1 = tf.mul(tf.mul(lam, rowNormOf(tf.sub(c1, eT))), tf.tensor2d(extra.u1, [frames, bands]));
          eHat = tf.add(eT, tf.add(e0, e1));
        } else {
          if (extra.kind === 'rotation') {
            // λ·R·e with λ, R constant: R·e = e − 2(w·e)w + 2(u·e)ĉ/‖ĉ‖, plus the constant that makes the value ĉ.
            const w = tf.tensor2d(extra.w, [frames, bands]);
            const u = tf.tensor2d(extra.u, [frames, bands]);
            const qu = tf.tensor2d(extra.qUnit, [frames, bands]);
            const wx = tf.sum(tf.mul(w, eT), 1, true);
            const ux = tf.sum(tf.mul(u, eT), 1, true);
            const rx = tf.add(tf.sub(eT, tf.mul(tf.mul(2, wx), w)), tf.mul(tf.mul(2, ux), qu));
            eHat = tf.add(tf.mul(tf.tensor2d(extra.lambda, [frames, 1]), rx), tf.tensor2d(extra.correction, [frames, bands]));
          } else {
            // Straight-through: forward value ĉ, gradient of e.
            eHat = tf.add(eT, tf.sub(qConst, eConst));
          }
          const commit = tf.mean(tf.sum(tf.square(tf.sub(eT, qConst)), 1));
          aux = tf.mul(commit, cfg.commitmentBeta) as tf.Scalar;
          if (cfg.estimator === 'ste' || cfg.estimator === 'rotation') {
            const cbLoss = tf.mean(tf.sum(tf.square(tf.sub(eConst, msvqSum(cbT))), 1));
            aux = tf.add(aux, cbLoss) as tf.Scalar;
          }
        }
        const s = tf.matMul(tf.exp(eHat), tf.exp(betaT), false, true);
        // b = exp(θ)·√s·c, i.e. ln b = ½ ln s + θ + ln c
        const sumOfBits = logC && sumBits ? sumBits(tf.add(tf.add(tf.mul(tf.log(s), 0.5), thetaT), logC)) : sumBitsOfVariance(s, thetaT);
        const bits = tf.div(sumOfBits, frames) as tf.Scalar;
        bitsValue = bits.dataSync()[0];
        auxValue = aux.dataSync()[0];
        return tf.add(bits, aux) as tf.Scalar;
      };
      return tf.grads(lossFn)(inputs);
    });
    const grads = gradTensors.map((gt) => gt.dataSync() as Float32Array);
    tf.dispose(gradTensors);

    for (let i = 0; i < params.length; i++) {
      adamUpdate(params[i], grads[i], st.adamM[i], st.adamV[i], stepNo, { lr: cfg.lr });
    }

    // EMA k-means codebook update (estimator 'ema'): each stage follows the mean of the residuals it quantises.
    if (cfg.estimator === 'ema') this.emaUpdate(e, idx, S, frames);

    // Usage (batches used, per the library's replacement rule) and replacement.
    for (let s = 0; s < stages; s++) {
      const u = st.usage[s];
      const cnt = st.counts[s];
      const seen = new Uint8Array(K);
      for (let f = 0; f < frames; f++) {
        const j = idx[s][f];
        cnt[j]++;
        if (!seen[j]) {
          seen[j] = 1;
          u[j]++;
        }
      }
    }
    st.usageBatches++;
    const perplexity = st.counts.map((u) => perplexityOf(u));
    const replaced = new Array<number>(stages).fill(0);
    if (this.replacementSteps.has(stepNo)) {
      for (let s = 0; s < stages; s++) replaced[s] = this.replaceUnused(s, rng);
      for (const u of st.usage) u.fill(0);
      for (const c of st.counts) c.fill(0);
      st.usageBatches = 0;
    }
    st.step = stepNo;
    return { step: stepNo, bits: bitsValue, aux: auxValue, envMse, perplexity, replaced };
  }

  /**
   * Per-step constants of the DiVeQ, SF-DiVeQ and rotation-trick estimators, from the envelopes e
   * and their hard MSVQ values q (frames×bands); random draws come from the step's generator.
   */
  private async estimatorConstants(e: Float32Array, q: Float32Array, frames: number, rng: Rng): Promise<EstimatorConstants> {
    const { bands, estimator } = this.config;
    const n = frames * bands;
    if (estimator === 'diveq') {
      const dir = new Float32Array(n);
      for (let i = 0; i < n; i++) dir[i] = q[i] - e[i] + DIVEQ_NOISE_STD * rng.normal();
      normaliseRows(dir, frames, bands);
      return { kind: 'diveq', dir };
    }
    if (estimator === 'sf-diveq') {
      const K = this.K;
      const cb = this.st.codebooks[0];
      const lambdaSeg = new Float32Array(K - 1);
      for (let i = 0; i < K - 1; i++) lambdaSeg[i] = rng.uniform();
      const points = ditheredPoints(cb, K, bands, lambdaSeg);
      const seg = this.pool ? await this.pool.nearest(e, frames, points, K - 1, bands) : nearestCodewords(e, frames, points, K - 1, bands);
      const next = seg.map((i) => i + 1);
      const lambda = new Float32Array(frames);
      const u0 = new Float32Array(n);
      const u1 = new Float32Array(n);
      for (let f = 0; f < frames; f++) {
        lambda[f] = lambdaSeg[seg[f]];
        for (let d = 0; d < bands; d++) {
          u0[f * bands + d] = cb[seg[f] * bands + d] - e[f * bands + d] + DIVEQ_NOISE_STD * rng.normal();
          u1[f * bands + d] = cb[next[f] * bands + d] - e[f * bands + d] + DIVEQ_NOISE_STD * rng.normal();
        }
      }
      normaliseRows(u0, frames, bands);
      normaliseRows(u1, frames, bands);
      return { kind: 'sf-diveq', seg, next, lambda, u0, u1 };
    }
    if (estimator === 'rotation') {
      const u = Float32Array.from(e);
      const qUnit = Float32Array.from(q);
      const eNorm = normaliseRows(u, frames, bands);
      const qNorm = normaliseRows(qUnit, frames, bands);
      const w = new Float32Array(n);
      for (let i = 0; i < n; i++) w[i] = u[i] + qUnit[i];
      normaliseRows(w, frames, bands);
      const lambda = new Float32Array(frames);
      const correction = new Float32Array(n);
      for (let f = 0; f < frames; f++) {
        const o = f * bands;
        lambda[f] = qNorm[f] / Math.max(eNorm[f], ROW_NORM_FLOOR);
        let wx = 0;
        let ux = 0;
        for (let d = 0; d < bands; d++) {
          wx += w[o + d] * e[o + d];
          ux += u[o + d] * e[o + d];
        }
        for (let d = 0; d < bands; d++) {
          const rx = e[o + d] - 2 * wx * w[o + d] + 2 * ux * qUnit[o + d];
          correction[o + d] = q[o + d] - lambda[f] * rx;
        }
      }
      return { kind: 'rotation', u, qUnit, w, lambda, correction };
    }
    return { kind: 'none' };
  }

  private emaUpdate(e: Float32Array, idx: Int32Array[], S: Int32Array, frames: number): void {
    const { bands, emaDecay } = this.config;
    const K = this.K;
    const resid = Float32Array.from(e);
    for (let s = 0; s < this.st.codebooks.length; s++) {
      const cb = this.st.codebooks[s];
      const n = new Float64Array(K);
      const sum = new Float64Array(K * bands);
      for (let f = 0; f < frames; f++) {
        const j = idx[s][f];
        n[j]++;
        for (let d = 0; d < bands; d++) sum[j * bands + d] += resid[f * bands + d];
      }
      const cnt = this.st.emaCounts[s];
      const acc = this.st.emaSums[s];
      let total = 0;
      for (let j = 0; j < K; j++) {
        cnt[j] = emaDecay * cnt[j] + (1 - emaDecay) * n[j];
        total += cnt[j];
        for (let d = 0; d < bands; d++) acc[j * bands + d] = emaDecay * acc[j * bands + d] + (1 - emaDecay) * sum[j * bands + d];
      }
      // Laplace smoothing of the counts, as in VQ-VAE's EMA update (van den Oord et al. 2017, appendix).
      const eps = 1e-5;
      for (let j = 0; j < K; j++) {
        const nj = ((cnt[j] + eps) / (total + K * eps)) * total;
        for (let d = 0; d < bands; d++) cb[j * bands + d] = acc[j * bands + d] / nj;
      }
      for (let f = 0; f < frames; f++) {
        const co = idx[s][f] * bands;
        for (let d = 0; d < bands; d++) resid[f * bands + d] -= cb[co + d];
      }
    }
    void S;
  }

  /**
   * Codebook replacement (paper §III-C) with the VQ library's rule: codewords used in fewer than
   * threshold × W of the window's W batches are overwritten by randomly chosen active codewords
   * plus small noise; their Adam moments (or EMA statistics) restart. Returns the number replaced.
   */
  private replaceUnused(stage: number, rng: Rng): number {
    const { bands, replaceThreshold } = this.config;
    const st = this.st;
    const usage = new CodebookUsage(this.K);
    for (let j = 0; j < this.K; j++) usage.windowBatchesUsed[j] = st.usage[stage][j];
    usage.windowBatches = st.usageBatches;
    const cb = st.codebooks[stage];
    const dead = replaceDeadCodewords(cb, bands, usage, replaceThreshold, REPLACEMENT_DEFAULTS.noiseStd, rng);
    const paramIndex = 3 + stage;
    for (const j of dead) {
      if (this.config.estimator === 'ema') {
        st.emaCounts[stage][j] = 1;
        for (let d = 0; d < bands; d++) st.emaSums[stage][j * bands + d] = cb[j * bands + d];
      } else {
        st.adamM[paramIndex].fill(0, j * bands, (j + 1) * bands);
        st.adamV[paramIndex].fill(0, j * bands, (j + 1) * bands);
      }
    }
    st.replacedTotal[stage] += dead.length;
    return dead.length;
  }

  /**
   * Validation with hard quantisation for each mode: expected spectrum bits per frame at the
   * training SNR (uniform noise from a fixed seed, so values are comparable across steps and
   * runs) and the envelope log-spectral distortion.
   */
  async validate(x: Float32Array, frames: number): Promise<ValidationResult> {
    const cfg = this.config;
    const { bins, bands } = cfg;
    const A = expOf(this.st.alpha);
    const B = expOf(this.st.beta);
    const theta = this.st.theta;
    const e = envelopesOf(x, frames, bins, bands, A);
    const idx = await this.searchAll(e, frames);
    const sTrue = this.variances(e, frames, B);
    const modes: ModeValidation[] = [];
    const byStages = new Map<number, { bits: number; lsd: number }>();
    const noiseRatio = Math.pow(10, -cfg.snrDb / 10);
    for (const S of [...new Set(Object.values(cfg.stagesPerMode))].sort((a, b) => a - b)) {
      if (S > this.st.codebooks.length) continue;
      const q = this.reconstruct(idx, () => S, frames);
      const sHat = this.variances(q, frames, B);
      const rng = new Rng(0x5eed);
      let bitsSum = 0;
      let lsdSum = 0;
      for (let f = 0; f < frames; f++) {
        const o = f * bins;
        const w = perceptualWeights(sHat.subarray(o, o + bins));
        let pw = 0;
        for (let k = 0; k < bins; k++) pw += (x[o + k] * w[k]) ** 2;
        const g = Math.sqrt(12 * noiseRatio * (pw / bins + PERCEPTUAL_POWER_FLOOR));
        let lsd = 0;
        for (let k = 0; k < bins; k++) {
          const tk = Math.abs((x[o + k] * w[k]) / g + (rng.uniform() - 0.5));
          const bk = (Math.exp(theta[k]) * Math.sqrt(sHat[o + k] / 2) * w[k]) / g;
          bitsSum += laplaceCellBits(tk, bk);
          const dl = 10 * Math.log10(sHat[o + k] / sTrue[o + k]);
          lsd += dl * dl;
        }
        lsdSum += Math.sqrt(lsd / bins);
      }
      byStages.set(S, { bits: bitsSum / frames, lsd: lsdSum / frames });
    }
    for (const [rate, S] of Object.entries(cfg.stagesPerMode).sort((a, b) => Number(a[0]) - Number(b[0]))) {
      const r = byStages.get(S);
      if (r) modes.push({ bitrate: Number(rate), stages: S, bitsPerFrame: r.bits, lsdDb: r.lsd });
    }
    const K = this.K;
    const perplexity = idx.map((ix) => {
      const cnt = new Float64Array(K);
      for (let f = 0; f < frames; f++) cnt[ix[f]]++;
      return perplexityOf(cnt);
    });
    return { frames, modes, perplexity };
  }
}

type EstimatorConstants =
  | { kind: 'none' }
  | { kind: 'diveq'; dir: Float32Array }
  | { kind: 'sf-diveq'; seg: Int32Array; next: Int32Array; lambda: Float32Array; u0: Float32Array; u1: Float32Array }
  | { kind: 'rotation'; u: Float32Array; qUnit: Float32Array; w: Float32Array; lambda: Float32Array; correction: Float32Array };

/** Norms below this are clamped (a zero row, or e/‖e‖ = −ĉ/‖ĉ‖ where the rotation is undefined). */
const ROW_NORM_FLOOR = 1e-12;

/** Scale each row of a (rows×dim) array to unit length in place; returns the original norms. */
function normaliseRows(a: Float32Array, rows: number, dim: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let n2 = 0;
    for (let d = 0; d < dim; d++) n2 += a[r * dim + d] ** 2;
    const n = Math.sqrt(n2);
    norms[r] = n;
    const inv = 1 / Math.max(n, ROW_NORM_FLOOR);
    for (let d = 0; d < dim; d++) a[r * dim + d] *= inv;
  }
  return norms;
}

/** ‖r‖ per row as [frames, 1] (squared norm floored, so r = 0 gives a zero gradient, not NaN). */
function rowNormOf(r: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.add(tf.sum(tf.square(r), 1, true), 1e-12));
}

function logOfPositive(c: Float32Array): Float32Array {
  const out = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = Math.log(c[i]);
  return out;
}

function squareOf(x: Float32Array): Float32Array {
  const p = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) p[i] = x[i] * x[i];
  return p;
}

/** e = log(A·X² + ε) per frame, float32 (the search input; same formula as model.envelopeOf). */
export function envelopesOf(x: Float32Array, frames: number, bins: number, bands: number, A: Float32Array): Float32Array {
  const e = new Float32Array(frames * bands);
  const p = new Float64Array(bins);
  for (let f = 0; f < frames; f++) {
    const o = f * bins;
    for (let k = 0; k < bins; k++) p[k] = x[o + k] * x[o + k];
    for (let b = 0; b < bands; b++) {
      let acc = 0;
      const row = b * bins;
      for (let k = 0; k < bins; k++) acc += A[row + k] * p[k];
      e[f * bands + b] = Math.log(acc + ENVELOPE_FLOOR);
    }
  }
  return e;
}

/**
 * ĉ_f = Σ_{i<S_f} C_i[idx_i,f] as a TF op with a custom gradient: forward gathers rows, backward
 * scatter-adds dy into the rows that were used (no UnsortedSegmentSum needed on wasm).
 */
function msvqSumOp(idx: Int32Array[], S: Int32Array, frames: number, bands: number, K: number, stages: number): (cbs: tf.Tensor[]) => tf.Tensor {
  return (cbs: tf.Tensor[]) => {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const tensors = args.slice(0, stages) as tf.Tensor[];
      const data = tensors.map((t) => t.dataSync() as Float32Array);
      const q = new Float32Array(frames * bands);
      for (let f = 0; f < frames; f++) {
        for (let s = 0; s < S[f]; s++) {
          const co = idx[s][f] * bands;
          for (let d = 0; d < bands; d++) q[f * bands + d] += data[s][co + d];
        }
      }
      return {
        value: tf.tensor2d(q, [frames, bands]),
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const g = (Array.isArray(dy) ? dy[0] : dy).dataSync();
          const out: tf.Tensor[] = [];
          for (let s = 0; s < stages; s++) {
            const gs = new Float32Array(K * bands);
            for (let f = 0; f < frames; f++) {
              if (s >= S[f]) continue;
              const co = idx[s][f] * bands;
              for (let d = 0; d < bands; d++) gs[co + d] += g[f * bands + d];
            }
            out.push(tf.tensor2d(gs, [K, bands]));
          }
          return out;
        },
      };
    });
    return op(...cbs);
  };
}
