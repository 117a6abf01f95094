import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { runAction } from '../run-action.js';

interface TrainCliOptions {
  data: string[];
  out: string;
  estimator: string;
  stages?: string;
  bitsPerStage: string;
  epochs: string;
  batch: string;
  lr: string;
  seed: string;
  resume?: boolean;
  maxHours?: string;
  maxSteps?: string;
  backend: string;
  cache?: string | false;
  init: string;
  snrDb: string;
  validationFraction: string;
  validationFrames: string;
  validateEvery: string;
  patience?: string;
  checkpointEvery: string;
  threads: string;
  shuffleFrames: string;
}

function num(text: string, name: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UserError(`${name} must be a number (got "${text}")`);
  return v;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the envelope quantizer end to end with NSVQ on LibriSpeech or any audio folder')
    .requiredOption('-d, --data <dirs...>', 'training data folders (scanned recursively for audio)')
    .requiredOption('-o, --out <dir>', 'model output folder (model.nsvqm, model card, log, checkpoint, best/ = best-validation model)')
    .option('--estimator <name>', 'envelope quantizer estimator: nsvq, ste, ema, diveq, sf-diveq (one stage) or rotation', 'nsvq')
    .option('--stages <n>', 'MSVQ stages to train (default: the initial model\'s, else 4)')
    .option('--bits-per-stage <n>', 'bits per MSVQ stage', '12')
    .option('--epochs <n>', 'passes over the training frames', '5')
    .option('--batch <n>', 'frames per batch', '1024')
    .option('--lr <x>', 'Adam learning rate', '0.001')
    .option('--seed <n>', 'random seed (initialisation, data order, noise)', '1')
    .option('--resume', 'continue the run checkpointed in --out exactly where it stopped')
    .option('--max-hours <h>', 'stop (with checkpoint and model) after this much training time')
    .option('--max-steps <n>', 'stop after this many steps in total')
    .option('--backend <name>', 'TF.js backend: auto, wasm, cpu or tensorflow (native tfjs-node)', 'auto')
    .option('--cache <dir>', 'feature cache folder (default: .cache/ in the package)')
    .option('--no-cache', 'do not cache features on disk')
    .option('--init <how>', "initial model: 'auto' (shipped model if present, else data), 'data', 'model' or a model path", 'auto')
    .option('--snr-db <dB>', 'perceptual-domain SNR of the simulated scalar quantiser in the loss', '6')
    .option('--validation-fraction <f>', 'share of speakers held out for validation', '0.05')
    .option('--validation-frames <n>', 'held-out frames scored at each validation', '4000')
    .option('--validate-every <n>', 'validate every N steps', '100')
    .option('--patience <n>', 'early stopping: stop after this many validations in a row without a new best (best/ holds the best model)')
    .option('--checkpoint-every <n>', 'checkpoint every N steps', '50')
    .option('--threads <n>', 'threads for the codeword search and for feature extraction, each including the main one', '2')
    .option('--shuffle-frames <n>', 'shuffle window in frames; memory holds at most two windows (262144 frames ≈ 335 MB each)', '262144')
    .action(runAction(async (opts: TrainCliOptions) => {
      const { runTraining } = await import('../../train/run-training.js');
      const { ESTIMATORS } = await import('../../train/trainer.js');
      const estimator = ESTIMATORS.find((e) => e === opts.estimator);
      if (estimator === undefined) throw new UserError(`--estimator must be one of ${ESTIMATORS.join(', ')} (got "${opts.estimator}")`);
      const backend = opts.backend;
      if (backend !== 'auto' && backend !== 'wasm' && backend !== 'cpu' && backend !== 'tensorflow') {
        throw new UserError(`--backend must be auto, wasm, cpu or tensorflow (got "${backend}")`);
      }
      const summary = await runTraining({
        data: opts.data,
        out: opts.out,
        estimator,
        stages: opts.stages !== undefined ? num(opts.stages, '--stages') : undefined,
        bitsPerStage: num(opts.bitsPerStage, '--bits-per-stage'),
        epochs: num(opts.epochs, '--epochs'),
        batch: num(opts.batch, '--batch'),
        lr: num(opts.lr, '--lr'),
        seed: num(opts.seed, '--seed'),
        resume: opts.resume === true,
        maxHours: opts.maxHours !== undefined ? num(opts.maxHours, '--max-hours') : undefined,
        maxSteps: opts.maxSteps !== undefined ? num(opts.maxSteps, '--max-steps') : undefined,
        backend,
        cache: opts.cache === false ? null : opts.cache,
        init: opts.init,
        snrDb: num(opts.snrDb, '--snr-db'),
        validationFraction: num(opts.validationFraction, '--validation-fraction'),
        validationFrames: num(opts.validationFrames, '--validation-frames'),
        validateEvery: num(opts.validateEvery, '--validate-every'),
        patience: opts.patience !== undefined ? num(opts.patience, '--patience') : undefined,
        checkpointEvery: num(opts.checkpointEvery, '--checkpoint-every'),
        threads: num(opts.threads, '--threads'),
        shuffleFrames: num(opts.shuffleFrames, '--shuffle-frames'),
      });
      const v = summary.validation;
      process.stdout.write(`model: ${summary.modelFile} (${summary.modelId}), ${summary.steps} steps, ${summary.wallSeconds.toFixed(0)} s, backend ${summary.backend}\n`);
      if (v) for (const m of v.modes) process.stdout.write(`  ${m.bitrate} bit/s (${m.stages} stages): ${m.bitsPerFrame.toFixed(1)} spectrum bits/frame, envelope LSD ${m.lsdDb.toFixed(2)} dB\n`);
    }));
}
