/**
 * The `nsvq-codec train` run (issue 6): data → Trainer → checkpoints, JSONL log, progress →
 * model directory (model.nsvqm + model card JSON/Markdown) that `encode`/`decode --model` accept.
 *
 * Output folder layout:
 *   model.nsvqm        the trained model (serializeModel), card embedded
 *   model-card.json    data, settings, steps, wall time, validation per mode
 *   model-card.md      the same for people
 *   train-log.jsonl    one JSON object per logged step / validation / event
 *   checkpoint.nsvqc   full trainer state + data position (for --resume)
 *   best/              the model at the validation with the fewest bits per frame (mean over
 *                      the modes), with its card: long runs on small data overfit, and this
 *                      keeps the early-stopped model without a second run
 *
 * Data: indexed once into the on-disk frame store (frame-store.ts; with --no-cache a temporary
 * folder removed at exit) and streamed through a bounded shuffle window (batch-stream.ts), so
 * memory stays ≈ 2 × --shuffle-frames frames however large the data. Batch b of epoch e is a
 * pure function of (data, seed, batch, shuffle window, e, b) (shuffle.ts), so the checkpoint's
 * (epoch, batch) is the whole loader state.
 *
 * Stopping: --max-steps, --max-hours, the epoch count, --patience (early stopping: this many
 * validations in a row without a new best), or SIGINT/SIGTERM — every stop writes a checkpoint
 * and the model, so a killed run resumes exactly where it stopped.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { displayPath } from '../util/display-path.js';
import cliProgress from 'cli-progress';
import { UserError } from '../errors.js';
import { defaultModelDir, loadModel, MODEL_FILE_NAME, serializeModel, modelIdOf } from '../model/codec-model.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { SearchPool } from '../vq/search-pool.js';
import { CHECKPOINT_FILE_NAME, readCheckpoint, writeCheckpoint, type RunProgress } from './checkpoint.js';
import { BatchStream, type BatchStreamStats } from './batch-stream.js';
import { prepareTrainingData, type PreparedData } from './dataset.js';
import { defaultCacheDir } from './features.js';
import { evenlySpacedFrames, FeatureWorkers } from './frame-store.js';
import { initTfBackend, type BackendChoice } from '../vq/tf-backend.js';
import { ENTROPY_MODEL_KIND, ESTIMATORS, Trainer, type Estimator, type StepStats, type TrainerConfig, type ValidationResult } from './trainer.js';

export type TrainBackend = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

/** 'tensorflow' means the native bindings: tfjs-node-gpu, else tfjs-node (tf-backend.ts loads them). */
async function selectBackend(choice: TrainBackend): Promise<{ backend: string; package: string; skipped: string[] }> {
  if (choice !== 'tensorflow') return initTfBackend(choice as BackendChoice);
  try {
    return await initTfBackend('node-gpu');
  } catch {
    try {
      return await initTfBackend('node');
    } catch {
      throw new UserError('--backend tensorflow needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu installed (neither loads here); use --backend wasm');
    }
  }
}

export interface TrainOptions {
  data: string[];
  out: string;
  estimator: Estimator;
  /** Stage count to train (default: the initial model's, else 4). */
  stages?: number;
  bitsPerStage: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  resume: boolean;
  maxHours?: number;
  maxSteps?: number;
  /** 'auto' (tfjs-node(-gpu) if installed, else wasm), 'wasm', 'cpu' or 'tensorflow' (native only). */
  backend: TrainBackend;
  /** Feature cache folder; null disables it; undefined = the default `.cache/`. */
  cache?: string | null;
  /** 'data' (codebooks from data, default A/B), 'model' (the shipped model) or a model path. */
  init: string;
  snrDb: number;
  validationFraction: number;
  /** Frames of the validation split scored at each validation (evenly spaced). */
  validationFrames: number;
  /** Validate every N steps (and at the end). */
  validateEvery: number;
  /**
   * Early stopping: stop once this many validations in a row have not lowered the best mean
   * validation bits (best/ then holds the early-stopped model). Undefined: no early stopping.
   * The count survives --resume (it is recomputed from the log and best/).
   */
  patience?: number;
  /** Checkpoint every N steps (and at every stop). */
  checkpointEvery: number;
  /** Threads for the search and, separately, for feature extraction and reads (the calling thread counts in both). */
  threads: number;
  /** Shuffle window in frames; the loader holds at most two windows. */
  shuffleFrames: number;
  /** Progress bar on stderr (default: when stderr is a TTY). */
  progress?: boolean;
  /** Status lines (default: stderr). */
  log?: (line: string) => void;
}

export interface TrainSummary {
  outDir: string;
  modelFile: string;
  modelId: string;
  steps: number;
  stoppedBy: 'epochs' | 'max-steps' | 'max-hours' | 'patience' | 'signal';
  wallSeconds: number;
  backend: string;
  validation: ValidationResult | null;
  trainFrames: number;
  /** The loader's counters, and the seconds of the training loop (for the loader-wait fraction). */
  loader: BatchStreamStats & { loopSeconds: number };
}

/** Names the batch order; a checkpoint made with another order cannot resume exactly. */
export const DATA_ORDER = 'stream-window-v1';

export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'data' | 'out'> = {
  estimator: 'nsvq',
  bitsPerStage: 12,
  epochs: 5,
  batch: 1024,
  lr: 1e-3,
  seed: 1,
  resume: false,
  backend: 'auto',
  init: 'auto',
  snrDb: 6,
  validationFraction: 0.05,
  validationFrames: 4000,
  validateEvery: 100,
  checkpointEvery: 50,
  threads: 2,
  shuffleFrames: 262144,
};

const DEFAULT_STAGES_PER_MODE: Record<string, number> = { '8000': 2, '9600': 2, '13200': 3, '16400': 3, '24400': 4, '32000': 4 };

function capStages(table: Record<string, number>, stages: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(table)) out[k] = Math.min(v, stages);
  return out;
}

export async function runTraining(o: TrainOptions): Promise<TrainSummary> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  validateOptions(o);
  const outDir = path.resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  const ckptFile = path.join(outDir, CHECKPOINT_FILE_NAME);
  const logFile = path.join(outDir, 'train-log.jsonl');
  const jsonl = (obj: Record<string, unknown>): void => appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), ...obj }) + '\n');
  if (!o.resume && existsSync(ckptFile)) {
    throw new UserError(`${outDir} already holds a training checkpoint; pass --resume to continue it or choose another --out`);
  }

  const backend = await selectBackend(o.backend);
  log(`TF.js backend: ${backend.backend} (${backend.package})${backend.skipped.length ? `; skipped ${backend.skipped.join('; ')}` : ''}`);

  // Data: the frame store is the feature cache; without one, a temporary folder for this run.
  const tempStore = o.cache === null ? mkdtempSync(path.join(tmpdir(), 'nsvq-train-frames-')) : null;
  const cacheDir = tempStore ?? o.cache ?? defaultCacheDir();
  const workers = new FeatureWorkers(o.threads);
  try {
    return await trainOn(o, { outDir, ckptFile, jsonl, log, backend, cacheDir, workers });
  } finally {
    await workers.close();
    if (tempStore) rmSync(tempStore, { recursive: true, force: true });
  }
}

interface RunContext {
  outDir: string;
  ckptFile: string;
  jsonl: (obj: Record<string, unknown>) => void;
  log: (line: string) => void;
  backend: { backend: string; package: string; skipped: string[] };
  cacheDir: string;
  workers: FeatureWorkers;
}

async function trainOn(o: TrainOptions, ctx: RunContext): Promise<TrainSummary> {
  const { outDir, ckptFile, jsonl, log, backend } = ctx;
  const t0 = Date.now();
  const showFiles = o.progress ?? process.stderr.isTTY === true;
  const fileBar = showFiles ? new cliProgress.SingleBar({ format: 'features |{bar}| {value}/{total} files', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  let barStarted = false;
  const data: PreparedData = await prepareTrainingData(o.data, {
    validationFraction: o.validationFraction,
    cacheDir: ctx.cacheDir,
    run: ctx.workers.run,
    concurrency: Math.max(2, 2 * ctx.workers.threads),
    onFile: (done, total) => {
      if (fileBar) {
        if (!barStarted) { fileBar.start(total, 0); barStarted = true; }
        fileBar.update(done);
      }
    },
  });
  fileBar?.stop();
  for (const f of data.failed) log(`skipped unreadable file ${f.file}: ${f.error}`);
  const trainFrames = data.train.totalActive;
  log(`data: ${data.split.train.length} train files (${trainFrames} active frames), ${data.split.validation.length} validation files (${data.validation.totalActive} frames), ${data.cacheHits} cache hits, ${data.failed.length} skipped, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const valSet = await evenlySpacedFrames(data.validation.totalActive > 0 ? data.validation : data.train, o.validationFrames);

  const stream = new BatchStream(data.train, { batch: o.batch, seed: o.seed, shuffleFrames: o.shuffleFrames });
  const perEpoch = stream.batchesPerEpoch;
  const epochSteps = o.epochs * perEpoch;
  // The replacement schedule is laid out over the epochs, not --max-steps, so that a run stopped
  // early and resumed follows the same schedule as one that was never stopped.
  const plannedSteps = Math.max(1, epochSteps);
  log(`loader: shuffle window ${stream.plan.windowFrames} frames × ${stream.plan.windowsPerEpoch} per epoch, at most ${stream.maxHeldFrames} frames (${((stream.maxHeldFrames * data.train.bins * 4) / 2 ** 20).toFixed(0)} MiB) held`);

  // Trainer: resume, or initialise.
  let trainer: Trainer;
  let progress: RunProgress;
  let initDescription: string;
  if (o.resume) {
    const ck = readCheckpoint(ckptFile);
    if (ck.progress.dataFingerprint !== data.fingerprint) {
      throw new UserError('the data differ from the checkpointed run (file list or contents changed); cannot resume exactly');
    }
    const saved = ck.progress.settings as { batch?: number; seed?: number; estimator?: string; shuffleFrames?: number; order?: string };
    if (saved.order !== DATA_ORDER) {
      throw new UserError(`the checkpoint was made with another batch order (${saved.order ?? 'in-memory permutation'}) than this version's (${DATA_ORDER}); cannot resume exactly`);
    }
    if (saved.batch !== o.batch || saved.seed !== o.seed || saved.estimator !== o.estimator || saved.shuffleFrames !== o.shuffleFrames) {
      throw new UserError(`--resume needs the same --batch, --seed, --estimator and --shuffle-frames as the checkpoint (batch ${saved.batch}, seed ${saved.seed}, estimator ${saved.estimator}, shuffle frames ${saved.shuffleFrames})`);
    }
    trainer = Trainer.fromState(ck.state);
    progress = ck.progress;
    initDescription = String((ck.progress.settings as { init?: string }).init ?? 'checkpoint');
    log(`resuming at step ${trainer.step} (epoch ${progress.epoch + 1}, batch ${progress.batchInEpoch})`);
  } else {
    const over: Partial<TrainerConfig> = {
      estimator: o.estimator,
      lr: o.lr,
      seed: o.seed,
      snrDb: o.snrDb,
      plannedSteps,
    };
    const initPath = o.init === 'auto'
      ? (existsSync(path.join(defaultModelDir(), MODEL_FILE_NAME)) ? defaultModelDir() : null)
      : o.init === 'data' ? null : o.init === 'model' ? defaultModelDir() : o.init;
    if (initPath) {
      const m = loadModel(initPath);
      if (m.stageBits !== o.bitsPerStage) throw new UserError(`--bits-per-stage ${o.bitsPerStage} differs from the initial model's ${m.stageBits}; use --init data`);
      const stages = o.stages ?? m.codebooks.length;
      if (stages > m.codebooks.length) throw new UserError(`--stages ${stages} exceeds the initial model's ${m.codebooks.length} stages; use --init data`);
      trainer = Trainer.fromModel({ ...m, codebooks: m.codebooks.slice(0, stages), stagesPerMode: capStages(m.stagesPerMode, stages) }, over);
      initDescription = `model ${m.id} (${displayPath(initPath)})`;
    } else {
      const stages = o.stages ?? 4;
      // Codebooks from the first shuffle window (≤ M frames of a random set of files), which the
      // first steps train on anyway: no extra read, bounded memory.
      const first = await stream.window(0, 0);
      trainer = Trainer.fromData(first.x, first.frames, {
        ...over,
        stages,
        stageBits: o.bitsPerStage,
        stagesPerMode: capStages(DEFAULT_STAGES_PER_MODE, stages),
      });
      initDescription = 'data (random frames of the first shuffle window per stage residual; default A/B)';
    }
    progress = {
      epoch: 0,
      batchInEpoch: 0,
      wallSeconds: 0,
      dataFingerprint: data.fingerprint,
      settings: {
        batch: o.batch, seed: o.seed, estimator: o.estimator, epochs: o.epochs, init: initDescription, lr: o.lr, snrDb: o.snrDb,
        shuffleFrames: o.shuffleFrames, order: DATA_ORDER,
      },
    };
    jsonl({ event: 'start', options: { ...o, log: undefined }, backend: backend.backend, trainFrames, validationFrames: valSet.frames, plannedSteps, batchesPerEpoch: perEpoch, shuffleWindow: stream.plan.windowFrames, windowsPerEpoch: stream.plan.windowsPerEpoch });
  }
  const pool = o.threads > 1 ? new SearchPool(o.threads) : null;
  trainer.setSearchPool(pool);

  // Stop handling.
  let signalled = false;
  const onSignal = (): void => {
    if (!signalled) log('\nstopping: finishing the current step, then writing a checkpoint and the model…');
    signalled = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sessionStart = Date.now();
  const wall = (): number => progress.wallSeconds + (Date.now() - sessionStart) / 1000;
  const maxSeconds = o.maxHours !== undefined ? o.maxHours * 3600 : Infinity;
  const lastStep = o.maxSteps !== undefined ? Math.min(o.maxSteps, epochSteps) : epochSteps;
  let stoppedBy: TrainSummary['stoppedBy'] = 'epochs';
  let lastVal: ValidationResult | null = null;
  let lastValStep = -1;

  const bar = (o.progress ?? process.stderr.isTTY === true)
    ? new cliProgress.SingleBar({
      format: 'train |{bar}| {value}/{total} steps | ETA {eta_formatted} | {bits} bit/frame | ppl {ppl} | repl {repl}',
      stream: process.stderr,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(lastStep, trainer.step, { bits: '-', ppl: '-', repl: '-' });

  // The best validation so far survives --resume through best/model-card.json.
  const bestDir = path.join(outDir, BEST_DIR_NAME);
  let bestBits = o.resume ? readBestBits(bestDir) : Infinity;
  // Validations since the best one (for --patience); on resume, counted from the log.
  let sinceBest = o.resume ? validationsSinceBest(path.join(outDir, 'train-log.jsonl'), bestDir, trainer.step) : 0;
  const validateNow = async (): Promise<ValidationResult> => {
    const v = await trainer.validate(valSet.x, valSet.frames);
    lastValStep = trainer.step;
    jsonl({ event: 'validation', step: trainer.step, epoch: progress.epoch, wallSeconds: wall(), frames: v.frames, modes: v.modes, perplexity: v.perplexity });
    const bits = meanValidationBits(v);
    if (bits < bestBits) {
      bestBits = bits;
      sinceBest = 0;
      mkdirSync(bestDir, { recursive: true });
      await writeModelDir(bestDir, { ...makeCard(v, 'best-validation'), bestMeanBitsPerFrame: bits });
    } else {
      sinceBest++;
    }
    return v;
  };
  const checkpoint = async (): Promise<void> => {
    await writeCheckpoint(ckptFile, trainer.snapshot(), { ...progress, wallSeconds: wall() });
  };

  if (trainer.step === 0) lastVal = await validateNow();
  let smoothBits = NaN;
  let replacedSinceLog = 0;
  const loopStart = performance.now();
  try {
    while (trainer.step < lastStep) {
      if (signalled) { stoppedBy = 'signal'; break; }
      if (wall() >= maxSeconds) { stoppedBy = 'max-hours'; break; }
      const x = await stream.get(progress.epoch, progress.batchInEpoch);
      const stats: StepStats = await trainer.trainStep(x, stream.batchFrames);
      progress.batchInEpoch++;
      if (progress.batchInEpoch >= perEpoch) {
        progress.epoch++;
        progress.batchInEpoch = 0;
      }
      const rep = stats.replaced.reduce((a, b) => a + b, 0);
      replacedSinceLog += rep;
      smoothBits = Number.isNaN(smoothBits) ? stats.bits : 0.95 * smoothBits + 0.05 * stats.bits;
      jsonl({ event: 'step', step: stats.step, epoch: progress.epoch, bits: stats.bits, aux: stats.aux, envMse: stats.envMse, perplexity: stats.perplexity.map((p) => Math.round(p)), replaced: stats.replaced });
      bar?.update(trainer.step, {
        bits: smoothBits.toFixed(1),
        ppl: stats.perplexity.map((p) => Math.round(p)).join('/'),
        repl: replacedSinceLog,
      });
      if (!bar && (trainer.step % 20 === 0 || trainer.step === 1)) {
        log(`step ${trainer.step}/${lastStep} epoch ${progress.epoch + 1} bits/frame ${smoothBits.toFixed(1)} perplexity ${stats.perplexity.map((p) => Math.round(p)).join('/')} replaced ${replacedSinceLog}`);
      }
      if (trainer.step % o.validateEvery === 0) lastVal = await validateNow();
      if (trainer.step % o.checkpointEvery === 0) await checkpoint();
      if (o.patience !== undefined && sinceBest >= o.patience) {
        log(`early stop at step ${trainer.step}: ${sinceBest} validations without a new best (patience ${o.patience})`);
        stoppedBy = 'patience';
        break;
      }
    }
    if (stoppedBy !== 'patience' && trainer.step >= lastStep) stoppedBy = o.maxSteps !== undefined && o.maxSteps < epochSteps ? 'max-steps' : 'epochs';
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stream.close();
    await checkpoint();
  }
  const loopSeconds = (performance.now() - loopStart) / 1000;
  // The search pool serves this last validation too, so it closes only afterwards.
  try {
    if (lastValStep !== trainer.step) lastVal = await validateNow();
  } finally {
    if (pool) await pool.close();
  }
  const loader = { ...stream.stats, loopSeconds };
  log(`loader: ${loader.windowsLoaded} windows read, at most ${loader.peakHeldFrames} frames held, waited ${loader.waitSeconds.toFixed(1)} s of ${loopSeconds.toFixed(1)} s in the training loop`);

  const modelFile = path.join(outDir, MODEL_FILE_NAME);
  const modelId = await writeModelDir(outDir, makeCard(lastVal, stoppedBy));
  jsonl({ event: 'end', step: trainer.step, stoppedBy, wallSeconds: wall(), modelId, loader });
  log(`wrote ${modelFile} (model ${modelId}) after ${trainer.step} steps, ${wall().toFixed(0)} s; stopped by ${stoppedBy}`);
  if (Number.isFinite(bestBits)) log(`best validation (${bestBits.toFixed(2)} bits/frame over the modes) is in ${bestDir}`);
  return { outDir, modelFile, modelId, steps: trainer.step, stoppedBy, wallSeconds: wall(), backend: backend.backend, validation: lastVal, trainFrames, loader };

  /** Model card for the trainer's current state. */
  function makeCard(validation: ValidationResult | null, stop: TrainSummary['stoppedBy'] | 'best-validation') {
    return {
      name: `nsvq-codec ${o.estimator.toUpperCase()} envelope model`,
      trainer: 'nsvq-codec train (issue 6)',
      estimator: o.estimator,
      data: {
        roots: o.data.map((d) => displayPath(d)),
        trainFiles: data.split.train.length,
        validationFiles: data.split.validation.length,
        trainActiveFrames: trainFrames,
        validationFramesScored: valSet.frames,
        skippedFiles: data.failed.length,
        split: `speaker-disjoint (LibriSpeech speaker, else per file), validation fraction ${o.validationFraction}`,
      },
      settings: {
        init: initDescription,
        stages: trainer.config.stages,
        bitsPerStage: trainer.config.stageBits,
        stagesPerMode: trainer.config.stagesPerMode,
        batch: o.batch,
        lr: trainer.config.lr,
        seed: trainer.config.seed,
        epochs: o.epochs,
        ...(o.patience !== undefined ? { patience: o.patience, validateEvery: o.validateEvery } : {}),
        shuffleFrames: o.shuffleFrames,
        snrDb: trainer.config.snrDb,
        plannedSteps: trainer.config.plannedSteps,
        replaceThreshold: trainer.config.replaceThreshold,
        entropyModel: `${ENTROPY_MODEL_KIND}: b_k = exp(θ_k)·√(s_k/2)/Δ_k`,
        backend: backend.backend,
      },
      steps: trainer.step,
      epochsDone: progress.epoch + progress.batchInEpoch / perEpoch,
      stoppedBy: stop,
      wallSeconds: Math.round(wall()),
      validation,
    };
  }

  /** model.nsvqm + model-card.json + model-card.md in `dir`, each atomically; returns the model id. */
  async function writeModelDir(dir: string, card: ReturnType<typeof makeCard> & Record<string, unknown>): Promise<string> {
    const b = serializeModel(trainer.toModel(card));
    await writeFileAtomic(path.join(dir, MODEL_FILE_NAME), b);
    const id = modelIdOf(b);
    await writeFileAtomic(path.join(dir, 'model-card.json'), JSON.stringify({ modelId: id, ...card }, null, 2) + '\n');
    await writeFileAtomic(path.join(dir, 'model-card.md'), modelCardMarkdown(id, card));
    return id;
  }
}

/** Sub-folder of the output with the best-validation model. */
export const BEST_DIR_NAME = 'best';

/** Validation score for model selection: spectrum bits per frame, mean over the modes. */
export function meanValidationBits(v: ValidationResult): number {
  return v.modes.reduce((a, m) => a + m.bitsPerFrame, 0) / v.modes.length;
}

/**
 * Validations after the best one, up to `step`, from the run's log and best/ card (for --patience
 * on --resume). A validation logged past the checkpoint (redone after the resume) counts once.
 */
export function validationsSinceBest(logFile: string, bestDir: string, step: number): number {
  let bestStep = -1;
  try {
    const s = (JSON.parse(readFileSync(path.join(bestDir, 'model-card.json'), 'utf8')) as { steps?: unknown }).steps;
    if (typeof s === 'number') bestStep = s;
  } catch {
    return 0;
  }
  if (!existsSync(logFile)) return 0;
  const steps = new Set<number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { event?: unknown; step?: unknown };
      if (e.event === 'validation' && typeof e.step === 'number' && e.step > bestStep && e.step <= step) steps.add(e.step);
    } catch {
      // a torn last line from a kill: ignore
    }
  }
  return steps.size;
}

/** The best score recorded in a best/ folder, or Infinity when there is none. */
function readBestBits(bestDir: string): number {
  const f = path.join(bestDir, 'model-card.json');
  if (!existsSync(f)) return Infinity;
  try {
    const v = (JSON.parse(readFileSync(f, 'utf8')) as { bestMeanBitsPerFrame?: unknown }).bestMeanBitsPerFrame;
    return typeof v === 'number' && Number.isFinite(v) ? v : Infinity;
  } catch {
    return Infinity; // a damaged card: the next validation rewrites the folder
  }
}

function validateOptions(o: TrainOptions): void {
  const posInt = (v: number | undefined, name: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UserError(`${name} must be a positive integer (got ${v})`);
  };
  if (!o.data || o.data.length === 0) throw new UserError('give at least one --data folder');
  for (const d of o.data) if (!existsSync(d)) throw new UserError(`data folder not found: ${d}`);
  posInt(o.stages, '--stages');
  posInt(o.epochs, '--epochs');
  posInt(o.batch, '--batch');
  posInt(o.maxSteps, '--max-steps');
  posInt(o.patience, '--patience');
  posInt(o.threads, '--threads');
  posInt(o.shuffleFrames, '--shuffle-frames');
  if (!Number.isInteger(o.bitsPerStage) || o.bitsPerStage < 1 || o.bitsPerStage > 16) throw new UserError(`--bits-per-stage must be 1…16 (got ${o.bitsPerStage})`);
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new UserError(`--lr must be a positive number (got ${o.lr})`);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new UserError(`--seed must be a non-negative integer (got ${o.seed})`);
  if (o.maxHours !== undefined && !(o.maxHours > 0)) throw new UserError(`--max-hours must be positive (got ${o.maxHours})`);
  if (!(ESTIMATORS as readonly string[]).includes(o.estimator)) throw new UserError(`--estimator must be one of ${ESTIMATORS.join(', ')} (got ${o.estimator})`);
  if (o.estimator === 'sf-diveq' && o.stages !== 1) throw new UserError('--estimator sf-diveq trains a single stage: give --stages 1');
  if (!Number.isFinite(o.snrDb)) throw new UserError('--snr-db must be a number');
}

export function modelCardMarkdown(modelId: string, card: {
  name: string; estimator: string; steps: number; epochsDone: number; stoppedBy: string; wallSeconds: number;
  data: Record<string, unknown>; settings: Record<string, unknown>; validation: ValidationResult | null;
}): string {
  const lines: string[] = [];
  lines.push(`# ${card.name}`, '', `Model id \`${modelId}\`, trained by \`nsvq-codec train\` with the **${card.estimator.toUpperCase()}** estimator.`, '');
  lines.push('## Data', '');
  for (const [k, v] of Object.entries(card.data)) lines.push(`- ${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  lines.push('', '## Settings', '');
  for (const [k, v] of Object.entries(card.settings)) lines.push(`- ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  lines.push('', '## Run', '', `- steps: ${card.steps} (${card.epochsDone.toFixed(2)} epochs), stopped by ${card.stoppedBy}`, `- wall time: ${card.wallSeconds} s`, '');
  if (card.validation) {
    lines.push(`## Validation (${card.validation.frames} held-out frames)`, '');
    lines.push('Spectrum bits per frame: expected bits of the simulated scalar quantiser at the training SNR with the hard-quantised envelope. LSD: envelope log-spectral distortion between s(ê) and s(e).', '');
    lines.push('| kbit/s | stages | spectrum bits/frame | LSD dB |', '|---|---|---|---|');
    for (const m of card.validation.modes) lines.push(`| ${m.bitrate / 1000} | ${m.stages} | ${m.bitsPerFrame.toFixed(2)} | ${m.lsdDb.toFixed(3)} |`);
    lines.push('', `Per-stage codebook perplexity on the validation frames: ${card.validation.perplexity.map((p) => p.toFixed(0)).join(' / ')}`, '');
  }
  return lines.join('\n');
}
