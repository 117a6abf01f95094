/**
 * Training throughput benchmark (issue 6): frames per second of `Trainer.trainStep` (NSVQ,
 * 4 stages × 12 bits, batch 1024, 320 bins → 16 bands) on 2 cores, and the time one epoch of
 * LibriSpeech train-clean-100 (≈ 18 M frames) would take at that rate.
 *
 * Data: active MDCT frames of ../shared/speech/LibriSpeech/train-clean-100 (feature cache in
 * .cache/), or, without ../shared, synthetic frames (noise through random smooth envelopes).
 * Measured in the same run, interleaved round by round: search on the worker pool (2 threads)
 * vs the calling thread only (1 thread). The machine is shared, so wall time is noisy: the
 * ratio and the CPU time per step (process.cpuUsage, all threads) are the robust figures.
 * Writes bench/results/train.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTfBackend } from '../src/train/tf-backend.js';
import { Trainer } from '../src/train/trainer.js';
import { loadTrainingData, subsampleFrames } from '../src/train/dataset.js';
import { SearchPool } from '../src/vq/search-pool.js';
import { Rng } from '../src/vq/random.js';

const BATCH = Number(process.env.BENCH_TRAIN_BATCH ?? 1024);
const ROUNDS = Number(process.env.BENCH_TRAIN_ROUNDS ?? 4);
const EPOCH_FRAMES = 18e6;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEECH = path.resolve(ROOT, '..', 'shared', 'speech', 'LibriSpeech', 'train-clean-100');

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function syntheticFrames(n: number): Float32Array {
  const rng = new Rng(11);
  const x = new Float32Array(n * 320);
  for (let f = 0; f < n; f++) {
    const lvl = Math.exp(1.5 * rng.normal() - 6);
    const tilt = rng.normal();
    for (let k = 0; k < 320; k++) x[f * 320 + k] = rng.normal() * Math.sqrt(lvl * Math.exp(-tilt * k / 160));
  }
  return x;
}

async function main(): Promise<void> {
  const backend = await initTfBackend('auto');
  let source: string;
  let x: Float32Array;
  let frames: number;
  if (existsSync(SPEECH)) {
    const data = await loadTrainingData([SPEECH], { validationFraction: 0.05, bins: 320 });
    const sub = subsampleFrames(data.train, 16 * BATCH);
    x = sub.x;
    frames = sub.frames;
    source = `${path.relative(ROOT, SPEECH)} (${data.train.frames} active frames, ${sub.frames} used)`;
  } else {
    frames = 16 * BATCH;
    x = syntheticFrames(frames);
    source = 'synthetic frames (../shared not found)';
  }
  const batches = Math.floor(frames / BATCH);
  const trainer = Trainer.fromData(x, frames, { estimator: 'nsvq', stages: 4, stageBits: 12, plannedSteps: 100000, seed: 2 });
  const pool = new SearchPool(2);
  const results: Record<'threads2' | 'threads1', { wall: number[]; cpu: number[] }> = {
    threads2: { wall: [], cpu: [] },
    threads1: { wall: [], cpu: [] },
  };
  let b = 0;
  const step = async (): Promise<{ wall: number; cpu: number }> => {
    const batch = x.subarray((b % batches) * BATCH * 320, ((b % batches) + 1) * BATCH * 320);
    b++;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await trainer.trainStep(batch, BATCH);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return { wall, cpu: (c.user + c.system) / 1e6 };
  };
  // Warm-up (JIT, TF.js kernels, worker start).
  trainer.setSearchPool(pool);
  await step();
  trainer.setSearchPool(null);
  await step();
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ['threads2', 'threads1'] as const) {
      trainer.setSearchPool(mode === 'threads2' ? pool : null);
      const s = await step();
      results[mode].wall.push(s.wall);
      results[mode].cpu.push(s.cpu);
      process.stderr.write(`round ${r + 1}/${ROUNDS} ${mode}: ${s.wall.toFixed(2)} s wall, ${s.cpu.toFixed(2)} s cpu\n`);
    }
  }
  await pool.close();
  const summary = (mode: 'threads2' | 'threads1'): Record<string, number> => {
    const wall = median(results[mode].wall);
    const cpu = median(results[mode].cpu);
    return {
      medianStepWallSeconds: wall,
      medianStepCpuSeconds: cpu,
      framesPerSecondWall: BATCH / wall,
      epochHoursTrainClean100: EPOCH_FRAMES / (BATCH / wall) / 3600,
      // What one uncontended core would do: frames per CPU-second (all threads' CPU time).
      framesPerCpuSecond: BATCH / cpu,
      epochHoursAtCpuRate: EPOCH_FRAMES / (BATCH / cpu) / 3600,
    };
  };
  const two = summary('threads2');
  const one = summary('threads1');
  const out = {
    bench: 'train',
    date: new Date().toISOString(),
    backend: backend.backend,
    data: source,
    setup: { estimator: 'nsvq', stages: 4, stageBits: 12, bins: 320, bands: 16, batch: BATCH, rounds: ROUNDS },
    twoCores: two,
    oneThreadSearch: one,
    speedupTwoVsOne: one.medianStepWallSeconds / two.medianStepWallSeconds,
    epochFrames: EPOCH_FRAMES,
    raw: results,
    note: 'shared machine: wall times include contention from other jobs; compare the two modes measured interleaved in this run',
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'train.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(
    `training throughput (${backend.backend}, batch ${BATCH}, NSVQ 4×12 bits): ` +
    `${two.framesPerSecondWall.toFixed(0)} frames/s on 2 threads (${two.medianStepWallSeconds.toFixed(2)} s/step), ` +
    `${one.framesPerSecondWall.toFixed(0)} frames/s with 1 search thread; speedup ${out.speedupTwoVsOne.toFixed(2)}×\n` +
    `one epoch of train-clean-100 (18 M frames) ≈ ${two.epochHoursTrainClean100.toFixed(1)} h at this (contended) wall rate; ` +
    `CPU time per step ${one.medianStepCpuSeconds.toFixed(2)} s → ${one.framesPerCpuSecond.toFixed(0)} frames per CPU-second, ` +
    `≈ ${one.epochHoursAtCpuRate.toFixed(1)} h per epoch on one uncontended core\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
