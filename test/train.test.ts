/**
 * End-to-end training (issue 6) on a small generated dataset: a few short synthetic "voiced"
 * WAVs (harmonic tones through moving resonances, plus noise) from four fake LibriSpeech speakers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeWav16 } from '../src/audio/wav-write.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { loadModel, parseModel, serializeModel } from '../src/model/codec-model.js';
import { Rng } from '../src/vq/random.js';
import { initTfBackend } from '../src/vq/tf-backend.js';
import { ESTIMATORS, Trainer, type ValidationResult } from '../src/train/trainer.js';
import { BEST_DIR_NAME, meanValidationBits, validationsSinceBest } from '../src/train/run-training.js';
import { laplaceCellBits, laplaceCellBitsTf, sumCellBitsOfLogScale } from '../src/train/spectrum-bits.js';
import { parseCheckpoint, serializeCheckpoint } from '../src/train/checkpoint.js';
import { loadTrainingData, splitFiles, splitGroupOf } from '../src/train/dataset.js';
import { spawn } from 'node:child_process';
import { BIN, REPO_ROOT, type CliResult } from './helpers/cli.js';
import { testTempDir } from './helpers/temp.js';

/** Run the built CLI without blocking the test worker (spawnSync would stall vitest's RPC). */
function runCliAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** 1.2 s of a voiced-like signal: harmonics of a gliding f0, shaped by two resonances, + noise. */
function syntheticSpeech(seed: number, seconds = 1.2): Float32Array {
  const rng = new Rng(seed);
  const fs = 16000;
  const n = Math.round(seconds * fs);
  const x = new Float32Array(n);
  const f0a = 90 + 120 * rng.uniform();
  const f0b = f0a * (0.8 + 0.4 * rng.uniform());
  const formants = [400 + 600 * rng.uniform(), 1200 + 1500 * rng.uniform()];
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const f0 = f0a + (f0b - f0a) * t;
    phase += (2 * Math.PI * f0) / fs;
    let v = 0;
    for (let h = 1; h * f0 < 7000; h++) {
      const fh = h * f0;
      let g = 0;
      for (const F of formants) g += 1 / (1 + ((fh - F) / 150) ** 2);
      v += (g / h) * Math.sin(h * phase);
    }
    const env = 0.5 - 0.45 * Math.cos(2 * Math.PI * 2 * t); // two syllable-like bursts
    x[i] = 0.08 * env * v + 0.003 * rng.normal();
  }
  return x;
}

let dataDir = '';

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'nsvq-train-data-'));
  const speakers = [11, 22, 33, 44];
  for (const spk of speakers) {
    for (let u = 0; u < 2; u++) {
      const dir = path.join(dataDir, 'train-tiny', String(spk), '1');
      mkdirSync(dir, { recursive: true });
      await writeWav16(path.join(dir, `${spk}-1-000${u}.wav`), syntheticSpeech(spk * 10 + u), 16000);
    }
  }
  await initTfBackend('wasm');
});

afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('spectrum-bits loss', () => {
  it('cell probabilities of the discretised Laplacian sum to one', () => {
    for (const b of [0.05, 0.7, 3, 40]) {
      let total = 0;
      for (let q = -4000; q <= 4000; q++) total += 2 ** -laplaceCellBits(Math.abs(q), b);
      expect(Math.abs(total - 1)).toBeLessThan(2e-3);
    }
  });

  it('the fused gradient matches TF autodiff and finite differences', () => {
    const t = new Float32Array([0, 0.1, 0.49, 0.5, 0.8, 2.5, 9, 0.3]);
    const lb = tf.tensor1d([0.3, -1, 0.5, 1, -0.5, 2, 0.1, -3]);
    const fused = sumCellBitsOfLogScale(t);
    const g1 = tf.grad(fused)(lb).dataSync();
    const g2 = tf.grad((l: tf.Tensor) => tf.sum(laplaceCellBitsTf(tf.tensor1d(t), tf.exp(l))))(lb).dataSync();
    const l = lb.dataSync();
    for (let i = 0; i < t.length; i++) {
      const h = 1e-4;
      const fd = (laplaceCellBits(t[i], Math.exp(l[i] + h)) - laplaceCellBits(t[i], Math.exp(l[i] - h))) / (2 * h);
      expect(g1[i]).toBeCloseTo(fd, 2);
      expect(g1[i]).toBeCloseTo(g2[i], 2);
    }
    expect(fused(lb).dataSync()[0]).toBeCloseTo(tf.sum(laplaceCellBitsTf(tf.tensor1d(t), tf.exp(lb))).dataSync()[0], 3);
  });
});

describe('dataset split', () => {
  it('keeps LibriSpeech speakers on one side and both sides non-empty', () => {
    const files = ['1-2-0001.flac', '1-2-0002.flac', '7-3-0001.flac', '9-9-0001.flac', 'other/LJ001.flac'].map((f) => `/d/${f}`);
    const s = splitFiles(files, 0.3);
    expect(s.train.length).toBeGreaterThan(0);
    expect(s.validation.length).toBeGreaterThan(0);
    const valGroups = new Set(s.validation.map(splitGroupOf));
    for (const f of s.train) expect(valGroups.has(splitGroupOf(f))).toBe(false);
    expect(splitFiles(files, 0.3)).toEqual(s);
  });
});

describe('trainer', () => {
  it('a few steps lower the validation bits at every mode', async () => {
    const data = await loadTrainingData([dataDir], { validationFraction: 0.25, cacheDir: null, bins: 320 });
    const { x, frames } = data.train;
    expect(frames).toBeGreaterThan(100);
    const tr = Trainer.fromData(x, frames, {
      stages: 2, stageBits: 6, stagesPerMode: { '8000': 1, '16400': 2 }, lr: 0.02, plannedSteps: 1000, seed: 3,
    });
    const before = await tr.validate(x, frames);
    const first = await tr.trainStep(x, frames);
    let last = first;
    for (let i = 0; i < 14; i++) last = await tr.trainStep(x, frames);
    const after = await tr.validate(x, frames);
    for (let m = 0; m < before.modes.length; m++) {
      expect(after.modes[m].bitsPerFrame).toBeLessThan(before.modes[m].bitsPerFrame - 1);
    }
    expect(last.bits).toBeLessThan(first.bits);
  });

  it('checkpoint → restore → continue is bit-identical to an uninterrupted run (all estimators)', async () => {
    const data = await loadTrainingData([dataDir], { validationFraction: 0.25, cacheDir: null, bins: 320 });
    const { x, frames } = data.train;
    for (const estimator of ['nsvq', 'ste', 'ema', 'diveq', 'rotation'] as const) {
      const cfg = { estimator, stages: 2, stageBits: 5, stagesPerMode: { '8000': 1, '16400': 2 }, lr: 0.01, plannedSteps: 8, seed: 9 };
      const half = Math.floor(frames / 2);
      const batch = (i: number): Float32Array => x.subarray((i % 2) * half * 320, ((i % 2) + 1) * half * 320);
      const a = Trainer.fromData(x, frames, cfg);
      for (let i = 0; i < 6; i++) await a.trainStep(batch(i), half);
      const b = Trainer.fromData(x, frames, cfg);
      for (let i = 0; i < 3; i++) await b.trainStep(batch(i), half);
      const progress = { epoch: 0, batchInEpoch: 3, wallSeconds: 0, dataFingerprint: 'x', settings: {} };
      const bytes = serializeCheckpoint(b.snapshot(), progress);
      const restored = parseCheckpoint(bytes);
      expect(serializeCheckpoint(restored.state, restored.progress)).toEqual(bytes);
      const c = Trainer.fromState(restored.state);
      for (let i = 3; i < 6; i++) await c.trainStep(batch(i), half);
      expect(serializeCheckpoint(c.snapshot(), progress)).toEqual(serializeCheckpoint(a.snapshot(), progress));
    }
  });

  // Issue 13: DiVeQ, SF-DiVeQ and the rotation trick as end-to-end estimators (one stage, as in
  // the Fig. 1 experiment). Same start and batches for all: each must lower the loss and the
  // validation bits, be deterministic, and follow a trajectory of its own.
  it('diveq, sf-diveq and rotation train, are deterministic and differ from nsvq and ste', async () => {
    const data = await loadTrainingData([dataDir], { validationFraction: 0.25, cacheDir: null, bins: 320 });
    const { x, frames } = data.train;
    const run = async (estimator: (typeof ESTIMATORS)[number]): Promise<{ model: Float32Array[]; before: number; after: number; first: number; last: number }> => {
      const tr = Trainer.fromData(x, frames, { estimator, stages: 1, stageBits: 6, stagesPerMode: { '8000': 1, '32000': 1 }, lr: 0.02, plannedSteps: 1000, seed: 5 });
      const mean = (v: ValidationResult): number => meanValidationBits(v);
      const before = mean(await tr.validate(x, frames));
      const first = (await tr.trainStep(x, frames)).bits;
      let last = first;
      for (let i = 0; i < 14; i++) last = (await tr.trainStep(x, frames)).bits;
      const after = mean(await tr.validate(x, frames));
      const m = tr.toModel();
      return { model: [m.analysis, m.synthesis, ...m.codebooks], before, after, first, last };
    };
    const flat = (r: { model: Float32Array[] }): number[] => r.model.flatMap((a) => Array.from(a));
    const base = { nsvq: flat(await run('nsvq')), ste: flat(await run('ste')) };
    for (const estimator of ['diveq', 'sf-diveq', 'rotation'] as const) {
      const r = await run(estimator);
      expect(r.after, estimator).toBeLessThan(r.before - 1);
      expect(r.last, estimator).toBeLessThan(r.first);
      expect(flat(await run(estimator)), estimator).toEqual(flat(r));
      expect(flat(r), estimator).not.toEqual(base.nsvq);
      expect(flat(r), estimator).not.toEqual(base.ste);
    }
    expect(() => Trainer.fromData(x, frames, { estimator: 'sf-diveq', stages: 2, stageBits: 5 })).toThrow(/single stage/);
  });

  it('the rotation estimator passes ĉ forward exactly (its value is the hard envelope)', async () => {
    // With the codebook frozen in value (lr → tiny), the rotation and STE runs see the same
    // forward value, so their first-step loss (spectrum bits) agrees to float rounding.
    const data = await loadTrainingData([dataDir], { validationFraction: 0.25, cacheDir: null, bins: 320 });
    const { x, frames } = data.train;
    const cfg = { stages: 1, stageBits: 6, stagesPerMode: { '8000': 1 }, lr: 1e-3, plannedSteps: 1000, seed: 2 };
    const ste = await Trainer.fromData(x, frames, { ...cfg, estimator: 'ste' }).trainStep(x, frames);
    const rot = await Trainer.fromData(x, frames, { ...cfg, estimator: 'rotation' }).trainStep(x, frames);
    expect(rot.bits).toBeCloseTo(ste.bits, 3);
    expect(rot.aux).toBeCloseTo(ste.aux, 5);
  });
});

describe('train command', () => {
  const common = (out: string, threads = '1'): string[] => [
    'train', '--data', dataDir, '--out', out, '--init', 'data', '--batch', '64', '--epochs', '50', '--lr', '0.005',
    '--validation-fraction', '0.25', '--validation-frames', '50', '--validate-every', '2', '--checkpoint-every', '2',
    '--threads', threads, '--no-cache', '--backend', 'wasm', '--seed', '4', '--shuffle-frames', '100',
  ];

  // Three short CLI runs; slow only when the machine is heavily shared, hence the long timeout.
  // The ~366 training frames stream through a 100-frame shuffle window (4 windows, 5 batches of
  // 64 per epoch), so the runs cross windows and an epoch boundary, and the resume starts
  // mid-epoch in a batch that straddles two windows — on feature worker threads (--threads 2)
  // where the uninterrupted run read on the calling thread.
  it('kill + --resume reproduces the uninterrupted run; the model round-trips and the codec uses it', async () => {
    const root = testTempDir('nsvq-train-out-');
    const straight = path.join(root, 'straight');
    const split = path.join(root, 'split');
    const r1 = await runCliAsync([...common(straight), '--max-steps', '7']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/TF\.js backend: wasm/);
    expect(r1.stderr).toMatch(/shuffle window 100 frames × 4 per epoch/);
    const held = /at most (\d+) frames held, waited/.exec(r1.stderr);
    expect(Number(held?.[1])).toBeGreaterThan(100);
    expect(Number(held?.[1])).toBeLessThanOrEqual(200);
    const r2 = await runCliAsync([...common(split), '--max-steps', '3']);
    expect(r2.code, r2.stderr).toBe(0);
    const again = await runCliAsync([...common(split), '--max-steps', '7']);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/--resume/);
    const otherWindow = await runCliAsync([...common(split), '--max-steps', '7', '--resume', '--shuffle-frames', '99']);
    expect(otherWindow.code, otherWindow.stderr).toBe(1);
    expect(otherWindow.stderr).toMatch(/--shuffle-frames/);
    const r3 = await runCliAsync([...common(split, '2'), '--max-steps', '7', '--resume']);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toMatch(/resuming at step 3 \(epoch 1, batch 3\)/);

    const ckA = parseCheckpoint(readFileSync(path.join(straight, 'checkpoint.nsvqc')));
    const ckB = parseCheckpoint(readFileSync(path.join(split, 'checkpoint.nsvqc')));
    expect(ckB.state.step).toBe(7);
    expect(ckB.progress).toMatchObject({ epoch: 1, batchInEpoch: 2 });
    const strip = (p: typeof ckA.progress): typeof ckA.progress => ({ ...p, wallSeconds: 0 });
    expect(serializeCheckpoint(ckB.state, strip(ckB.progress))).toEqual(serializeCheckpoint(ckA.state, strip(ckA.progress)));

    // Model directory: save/load round trip is bit-exact and carries the entropy-model parameters.
    const bytes = readFileSync(path.join(straight, 'model.nsvqm'));
    const model = loadModel(straight);
    const { id: _id, ...fields } = model;
    expect(Buffer.from(serializeModel(fields))).toEqual(bytes);
    expect(parseModel(bytes)).toEqual(model);
    expect(model.entropyModel?.kind).toBe('laplace-log-scale-per-bin');
    const card = JSON.parse(readFileSync(path.join(straight, 'model-card.json'), 'utf8')) as { steps: number; validation: { modes: unknown[] }; data: { roots: string[] } };
    expect(card.steps).toBe(7);
    // Model cards are committed: data folders relative to where training ran, never absolute.
    for (const r of card.data.roots) expect(path.isAbsolute(r), r).toBe(false);
    expect(card.validation.modes.length).toBe(6);
    expect(readFileSync(path.join(straight, 'model-card.md'), 'utf8')).toMatch(/spectrum bits\/frame/);
    const log = readFileSync(path.join(straight, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(log.filter((e) => e.event === 'step').length).toBe(7);

    // best/ holds the model of the validation with the fewest mean bits — in the resumed run
    // too, whose best may come from before the kill.
    for (const dir of [straight, split]) {
      const vals = readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8').trim().split('\n')
        .map((l) => JSON.parse(l) as { event: string; step: number; modes?: { bitsPerFrame: number }[] })
        .filter((e) => e.event === 'validation' && e.modes);
      const means = vals.map((e) => meanValidationBits(e as unknown as ValidationResult));
      const bestAt = means.indexOf(Math.min(...means));
      const bestDir = path.join(dir, BEST_DIR_NAME);
      const bestCard = JSON.parse(readFileSync(path.join(bestDir, 'model-card.json'), 'utf8')) as { steps: number; bestMeanBitsPerFrame: number; stoppedBy: string; modelId: string };
      expect(bestCard.bestMeanBitsPerFrame).toBe(means[bestAt]);
      expect(bestCard.steps).toBe(vals[bestAt].step);
      expect(bestCard.stoppedBy).toBe('best-validation');
      expect(loadModel(bestDir).id).toBe(bestCard.modelId);
    }

    // The codec encodes and decodes with the trained model.
    const x = syntheticSpeech(1234, 0.8);
    const stream = encodeSpeech(model, x, 24400);
    const { samples, header } = decodeSpeech(model, stream);
    expect(header.modelId).toBe(model.id);
    expect(samples.length).toBe(x.length);
    let num = 0;
    let den = 0;
    for (let i = 0; i < x.length; i++) {
      num += x[i] * x[i];
      den += (x[i] - samples[i]) ** 2;
    }
    expect(10 * Math.log10(num / den)).toBeGreaterThan(3);
  }, 400_000);

  it('--patience stops after that many validations without a new best; best/ holds the best', async () => {
    const out = path.join(testTempDir('nsvq-train-pat-'), 'run');
    const r = await runCliAsync([...common(out), '--patience', '2', '--validate-every', '1', '--max-steps', '200']);
    expect(r.code, r.stderr).toBe(0);
    const vals = readFileSync(path.join(out, 'train-log.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { event: string; step: number; modes?: { bitsPerFrame: number }[] })
      .filter((e) => e.event === 'validation' && e.modes);
    const means = vals.map((e) => meanValidationBits(e as unknown as ValidationResult));
    const best = Math.min(...means);
    const bestAt = means.indexOf(best);
    const card = JSON.parse(readFileSync(path.join(out, 'model-card.json'), 'utf8')) as { steps: number; stoppedBy: string; settings: { patience?: number } };
    const bestCard = JSON.parse(readFileSync(path.join(out, BEST_DIR_NAME, 'model-card.json'), 'utf8')) as { steps: number };
    expect(bestCard.steps).toBe(vals[bestAt].step);
    if (card.stoppedBy === 'patience') {
      expect(r.stderr).toMatch(/early stop at step \d+: 2 validations without a new best/);
      // Exactly two validations after the best, none better; the run stopped at the second.
      expect(vals.length - 1 - bestAt).toBe(2);
      expect(card.steps).toBe(vals[vals.length - 1].step);
      expect(card.settings.patience).toBe(2);
    } else {
      // Never stalled twice in a row within the budget: then it must have run to --max-steps.
      expect(card.steps).toBe(200);
      for (let i = 2; i < means.length; i++) expect(Math.min(means[i - 1], means[i])).toBeLessThan(Math.min(...means.slice(0, i - 1)));
    }
  }, 200_000);
});

describe('validationsSinceBest (patience across --resume)', () => {
  it('counts the distinct validation steps after best/ up to the resume step', () => {
    const dir = testTempDir('nsvq-train-since-');
    mkdirSync(path.join(dir, BEST_DIR_NAME));
    writeFileSync(path.join(dir, BEST_DIR_NAME, 'model-card.json'), JSON.stringify({ steps: 20 }));
    const log = path.join(dir, 'train-log.jsonl');
    const lines = [10, 20, 30, 40, 40, 50].map((step) => JSON.stringify({ event: 'validation', step }));
    writeFileSync(log, [JSON.stringify({ event: 'step', step: 41 }), ...lines, '{"event":"valid'].join('\n'));
    expect(validationsSinceBest(log, path.join(dir, BEST_DIR_NAME), 45)).toBe(2); // 30, 40 (40 logged twice)
    expect(validationsSinceBest(log, path.join(dir, BEST_DIR_NAME), 50)).toBe(3);
    expect(validationsSinceBest(log, path.join(dir, 'missing'), 50)).toBe(0);
  });
});
