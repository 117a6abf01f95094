/**
 * Training benchmark (issue 6), on 2 cores:
 *  1. step throughput: frames per second of `Trainer.trainStep` (NSVQ, 4 stages × 12 bits,
 *     batch 1024, 320 bins → 16 bands), search on the worker pool (2 threads) vs the calling
 *     thread only, interleaved round by round in the same run;
 *  2. the streaming loop: the same steps fed by the streaming loader (frame store + shuffle
 *     window, as `nsvq-codec train` runs), through a window small enough that the run crosses
 *     several windows: frames/s, the fraction of loop time spent waiting for data, frames held
 *     and the process's peak RSS;
 *  3. the first pass over new audio (decode, resample, MDCT, cache write) on the calling thread
 *     vs the calling thread + one feature worker, on LJSpeech files (22.05 kHz, so resampling is
 *     included), in fresh caches, interleaved;
 *  4. extrapolations to LibriSpeech train-clean-100 (100 h ≈ 18 M frames): time per epoch and
 *     memory of the streaming loader vs holding every frame in memory (the loader before it);
 *  5. the loader alone on a synthetic source of train-clean-100's size (28 539 files, 18 M
 *     frames made on the fly) with the default window: frames held and RSS while it streams;
 *  6. the loss path of the step: the fused variance-form kernel vs the reference path it replaced
 *     (ln b built in the TF graph, per-cell reference kernel; `setReferenceCellBits`), search on
 *     the calling thread, interleaved round by round.
 *
 * Data: ../shared/speech/LibriSpeech/train-clean-100 (feature cache in .cache/), or synthetic
 * frames without ../shared (then sections 2 and 3 are skipped). The machine is shared, so wall
 * times are noisy: ratios measured in the same run and CPU times are the robust figures.
 * Writes bench/results/train.json.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTfBackend } from '../src/vq/tf-backend.js';
import { Trainer } from '../src/train/trainer.js';
import { prepareTrainingData } from '../src/train/dataset.js';
import { BatchStream } from '../src/train/batch-stream.js';
import { FeatureWorkers, indexFiles, type FrameSource } from '../src/train/frame-store.js';
import { defaultCacheDir } from '../src/train/features.js';
import { SearchPool } from '../src/vq/search-pool.js';
import { Rng } from '../src/vq/random.js';
import { setReferenceCellBits } from '../src/train/spectrum-bits.js';

const BATCH = Number(process.env.BENCH_TRAIN_BATCH ?? 1024);
const ROUNDS = Number(process.env.BENCH_TRAIN_ROUNDS ?? 4);
const STREAM_STEPS = Number(process.env.BENCH_TRAIN_STREAM_STEPS ?? 40);
/** Window of the streaming section: 8 batches, so 40 steps cross 5 windows. */
const STREAM_WINDOW = 8 * BATCH;
const EXTRACT_FILES = Number(process.env.BENCH_TRAIN_EXTRACT_FILES ?? 96);
/** 100 h of 20 ms frames. */
const EPOCH_FRAMES = 18e6;
const TRAIN_CLEAN_100_FILES = 28539;
const DEFAULT_SHUFFLE_FRAMES = 262144;
const BYTES_PER_FRAME = 320 * 4;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEECH = path.resolve(ROOT, '..', 'shared', 'speech');
const LIBRI = path.join(SPEECH, 'LibriSpeech', 'train-clean-100');
const LJ = path.join(SPEECH, 'LJSpeech');

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

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** Files of about 12.6 s (630 frames ± 50%), frames made on the fly: a stand-in for 100 h of features. */
class SyntheticSource implements FrameSource {
  readonly bins = 320;
  readonly activeCounts: number[];
  constructor(files: number, totalFrames: number) {
    const rng = new Rng(7);
    const mean = totalFrames / files;
    this.activeCounts = Array.from({ length: files }, () => Math.round(mean * (0.5 + rng.uniform())));
  }
  async readActive(file: number): Promise<Float32Array> {
    await new Promise((r) => setImmediate(r));
    const x = new Float32Array(this.activeCounts[file] * this.bins);
    for (let i = 0; i < x.length; i += 7) x[i] = (file % 97) * 1e-3;
    return x;
  }
}

async function streamLargeSource(windows: number): Promise<Record<string, number>> {
  const source = new SyntheticSource(TRAIN_CLEAN_100_FILES, EPOCH_FRAMES);
  const stream = new BatchStream(source, { batch: BATCH, seed: 1, shuffleFrames: DEFAULT_SHUFFLE_FRAMES });
  const perWindow = DEFAULT_SHUFFLE_FRAMES / BATCH;
  const rssAfter: number[] = [];
  const t0 = performance.now();
  for (let b = 0; b < windows * perWindow; b++) {
    await stream.get(0, b);
    if ((b + 1) % perWindow === 0) rssAfter.push(process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  stream.close();
  return {
    files: TRAIN_CLEAN_100_FILES,
    frames: stream.plan.total,
    windowsPerEpoch: stream.plan.windowsPerEpoch,
    windowsStreamed: windows,
    peakHeldFrames: stream.stats.peakHeldFrames,
    peakHeldMiB: mib(stream.stats.peakHeldFrames * BYTES_PER_FRAME),
    rssMiBFirst: mib(rssAfter[0]),
    rssMiBLast: mib(rssAfter[rssAfter.length - 1]),
    rssMiBMax: mib(Math.max(...rssAfter)),
    loaderOnlyFramesPerSecond: (windows * DEFAULT_SHUFFLE_FRAMES) / seconds,
  };
}

async function main(): Promise<void> {
  const backend = await initTfBackend('auto');
  const workers = new FeatureWorkers(2);
  let source: string;
  let x: Float32Array;
  let frames: number;
  let data: Awaited<ReturnType<typeof prepareTrainingData>> | null = null;
  let indexSeconds = 0;
  if (existsSync(LIBRI)) {
    const t0 = performance.now();
    data = await prepareTrainingData([LIBRI], { validationFraction: 0.05, cacheDir: defaultCacheDir(), run: workers.run });
    indexSeconds = (performance.now() - t0) / 1000;
    // A random 16-batch sample: the first window of a stream with a 16-batch window.
    const sample = new BatchStream(data.train, { batch: BATCH, seed: 2, shuffleFrames: 16 * BATCH });
    const w = await sample.window(0, 0);
    x = w.x;
    frames = w.frames;
    sample.close();
    source = `${path.relative(ROOT, LIBRI)} (${data.train.files.length} files, ${data.train.totalActive} active frames; ${frames} in the step sample)`;
  } else {
    frames = 16 * BATCH;
    x = syntheticFrames(frames);
    source = 'synthetic frames (../shared not found)';
  }

  // 1. Step throughput, 2 vs 1 search threads.
  const batches = Math.floor(frames / BATCH);
  const trainer = Trainer.fromData(x, frames, { estimator: 'nsvq', stages: 4, stageBits: 12, plannedSteps: 100000, seed: 2 });
  const pool = new SearchPool(2);
  const results: Record<'threads2' | 'threads1', { wall: number[]; cpu: number[] }> = {
    threads2: { wall: [], cpu: [] },
    threads1: { wall: [], cpu: [] },
  };
  let b = 0;
  const timed = async (batch: Float32Array): Promise<{ wall: number; cpu: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await trainer.trainStep(batch, BATCH);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return { wall, cpu: (c.user + c.system) / 1e6 };
  };
  const step = (): Promise<{ wall: number; cpu: number }> => {
    const batch = x.subarray((b % batches) * BATCH * 320, ((b % batches) + 1) * BATCH * 320);
    b++;
    return timed(batch);
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

  // 6. Loss path: fused vs reference, same trainer, 1 search thread, interleaved.
  trainer.setSearchPool(null);
  const lossPath: Record<'fused' | 'reference', { wall: number[]; cpu: number[] }> = { fused: { wall: [], cpu: [] }, reference: { wall: [], cpu: [] } };
  setReferenceCellBits(true);
  await step(); // warm the reference path's kernels
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ['reference', 'fused'] as const) {
      setReferenceCellBits(mode === 'reference');
      const s = await step();
      lossPath[mode].wall.push(s.wall);
      lossPath[mode].cpu.push(s.cpu);
    }
  }
  setReferenceCellBits(false);
  const lossPathSummary = {
    fusedMedianStepWallSeconds: median(lossPath.fused.wall),
    referenceMedianStepWallSeconds: median(lossPath.reference.wall),
    fusedMedianStepCpuSeconds: median(lossPath.fused.cpu),
    referenceMedianStepCpuSeconds: median(lossPath.reference.cpu),
    speedupWall: median(lossPath.reference.wall) / median(lossPath.fused.wall),
    speedupCpu: median(lossPath.reference.cpu) / median(lossPath.fused.cpu),
    raw: lossPath,
  };

  // 2. The streaming loop (search on 2 threads, reads on the calling thread + a feature worker).
  let streaming: Record<string, unknown> | null = null;
  if (data) {
    trainer.setSearchPool(pool);
    const stream = new BatchStream(data.train, { batch: BATCH, seed: 5, shuffleFrames: STREAM_WINDOW });
    const per = stream.batchesPerEpoch;
    const waits: number[] = [];
    const steps: number[] = [];
    const loop0 = performance.now();
    for (let i = 0; i < STREAM_STEPS; i++) {
      const t0 = performance.now();
      const batch = await stream.get(Math.floor(i / per), i % per);
      const t1 = performance.now();
      await trainer.trainStep(batch, stream.batchFrames);
      waits.push((t1 - t0) / 1000);
      steps.push((performance.now() - t1) / 1000);
    }
    const loopSeconds = (performance.now() - loop0) / 1000;
    const stats = { ...stream.stats };
    stream.close();
    const wait = waits.reduce((a, v) => a + v, 0);
    // The first batch waits for the first window (a run's start-up cost); later ones only if a read-ahead is late.
    const laterWait = wait - waits[0];
    const fps = (STREAM_STEPS * BATCH) / loopSeconds;
    const fpsSteady = ((STREAM_STEPS - 1) * BATCH) / (loopSeconds - waits[0]);
    streaming = {
      steps: STREAM_STEPS,
      shuffleWindowFrames: STREAM_WINDOW,
      windowsPerEpoch: stream.plan.windowsPerEpoch,
      windowsRead: stats.windowsLoaded,
      peakHeldFrames: stats.peakHeldFrames,
      peakHeldMiB: mib(stats.peakHeldFrames * BYTES_PER_FRAME),
      loopSeconds,
      framesPerSecondWall: fps,
      framesPerSecondAfterFirstWindow: fpsSteady,
      firstWindowWaitSeconds: waits[0],
      loaderWaitFraction: wait / loopSeconds,
      loaderWaitFractionAfterFirstWindow: laterWait / (loopSeconds - waits[0]),
      medianStepSeconds: median(steps),
      epochHoursTrainClean100: EPOCH_FRAMES / fpsSteady / 3600,
    };
  }
  await pool.close();

  // 3. First pass over new audio: calling thread vs + one feature worker (fresh caches, interleaved).
  let extraction: Record<string, unknown> | null = null;
  if (existsSync(LJ)) {
    const files = readdirSync(LJ).filter((f) => f.endsWith('.flac')).sort().slice(0, EXTRACT_FILES).map((f) => path.join(LJ, f));
    const inThread = new FeatureWorkers(1);
    const times: Record<'oneThread' | 'twoThreads', number[]> = { oneThread: [], twoThreads: [] };
    const cpu: Record<'oneThread' | 'twoThreads', number[]> = { oneThread: [], twoThreads: [] };
    for (let r = 0; r < 2; r++) {
      for (const mode of ['oneThread', 'twoThreads'] as const) {
        const dir = mkdtempSync(path.join(tmpdir(), 'nsvq-bench-extract-'));
        const c0 = process.cpuUsage(); // all threads of the process, workers included
        const t0 = performance.now();
        const res = await indexFiles(files, { run: (mode === 'twoThreads' ? workers : inThread).run, cacheDir: dir, concurrency: 4 });
        times[mode].push((performance.now() - t0) / 1000);
        const c = process.cpuUsage(c0);
        cpu[mode].push((c.user + c.system) / 1e6);
        rmSync(dir, { recursive: true, force: true });
        if (res.files.length !== files.length) throw new Error(`extraction failed for ${res.failed.length} files`);
        process.stderr.write(`extraction round ${r + 1} ${mode}: ${times[mode][r].toFixed(1)} s wall, ${cpu[mode][r].toFixed(1)} s cpu for ${files.length} files\n`);
      }
    }
    extraction = {
      files: files.length,
      source: path.relative(ROOT, LJ),
      secondsOneThread: median(times.oneThread),
      secondsTwoThreads: median(times.twoThreads),
      speedupTwoThreads: median(times.oneThread) / median(times.twoThreads),
      cpuSecondsOneThread: median(cpu.oneThread),
      cpuSecondsTwoThreads: median(cpu.twoThreads),
      raw: { wall: times, cpu },
    };
  }
  await workers.close();

  // 4. Memory for train-clean-100 (100 h).
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  // 5. The loader alone on a source of that size (after the peak RSS above is taken).
  const large = await streamLargeSource(4);
  let activeShare = 0.8;
  if (data) {
    let all = 0;
    for (const f of data.train.files) all += f.frames;
    activeShare = data.train.totalActive / all;
  }
  const active100h = EPOCH_FRAMES * activeShare;
  const memory100h = {
    activeShareOfFrames: activeShare,
    activeFrames: Math.round(active100h),
    // Streaming: two default windows (+ their int32 permutations) and ~100 bytes of index per file.
    streamingLoaderMiB: mib(2 * DEFAULT_SHUFFLE_FRAMES * (BYTES_PER_FRAME + 4) + TRAIN_CLEAN_100_FILES * 100),
    // Before: every file's frames (silent ones too) held while all active frames were concatenated.
    inMemoryLoaderMiB: mib(EPOCH_FRAMES * BYTES_PER_FRAME + active100h * BYTES_PER_FRAME),
    featureStoreOnDiskGiB: Math.round((EPOCH_FRAMES * BYTES_PER_FRAME) / 2 ** 30 * 10) / 10,
  };

  const out = {
    bench: 'train',
    date: new Date().toISOString(),
    backend: backend.backend,
    data: source,
    indexSeconds,
    setup: { estimator: 'nsvq', stages: 4, stageBits: 12, bins: 320, bands: 16, batch: BATCH, rounds: ROUNDS },
    twoCores: two,
    oneThreadSearch: one,
    speedupTwoVsOne: one.medianStepWallSeconds / two.medianStepWallSeconds,
    lossPath: lossPathSummary,
    streaming,
    extraction,
    maxRssMiB,
    memory100h,
    syntheticTrainClean100Loader: large,
    epochFrames: EPOCH_FRAMES,
    raw: results,
    note: 'shared machine: wall times include contention from other jobs; compare modes measured interleaved in this run',
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'train.json'), JSON.stringify(out, null, 2) + '\n');
  const lines = [
    `training throughput (${backend.backend}, batch ${BATCH}, NSVQ 4×12 bits): ` +
    `${two.framesPerSecondWall.toFixed(0)} frames/s on 2 threads (${two.medianStepWallSeconds.toFixed(2)} s/step), ` +
    `${one.framesPerSecondWall.toFixed(0)} frames/s with 1 search thread; speedup ${out.speedupTwoVsOne.toFixed(2)}×`,
    `CPU time per step ${one.medianStepCpuSeconds.toFixed(2)} s → ${one.framesPerCpuSecond.toFixed(0)} frames per CPU-second, ` +
    `≈ ${one.epochHoursAtCpuRate.toFixed(1)} h per 18 M-frame epoch on one uncontended core`,
    `loss path: fused variance-form kernel ${lossPathSummary.fusedMedianStepCpuSeconds.toFixed(3)} s cpu/step vs reference ${lossPathSummary.referenceMedianStepCpuSeconds.toFixed(3)} s ` +
    `(${lossPathSummary.speedupCpu.toFixed(2)}× cpu, ${lossPathSummary.speedupWall.toFixed(2)}× wall, interleaved)`,
  ];
  if (streaming) {
    const s = streaming as { framesPerSecondAfterFirstWindow: number; loaderWaitFractionAfterFirstWindow: number; loaderWaitFraction: number; firstWindowWaitSeconds: number; peakHeldFrames: number; windowsRead: number; epochHoursTrainClean100: number };
    lines.push(
      `streaming loop (window ${STREAM_WINDOW} frames, ${STREAM_STEPS} steps, ${s.windowsRead} windows read): ` +
      `${s.framesPerSecondAfterFirstWindow.toFixed(0)} frames/s after the first window; loader wait ${(100 * s.loaderWaitFractionAfterFirstWindow).toFixed(1)}% ` +
      `(${(100 * s.loaderWaitFraction).toFixed(1)}% with the first window's ${s.firstWindowWaitSeconds.toFixed(1)} s); at most ${s.peakHeldFrames} frames held`,
      `one 18 M-frame epoch of train-clean-100 ≈ ${s.epochHoursTrainClean100.toFixed(1)} h at this (contended) loop rate`,
    );
  }
  if (extraction) {
    const e = extraction as { files: number; secondsOneThread: number; secondsTwoThreads: number; speedupTwoThreads: number; cpuSecondsOneThread: number; cpuSecondsTwoThreads: number };
    lines.push(
      `first pass over ${e.files} new LJSpeech files: ${e.secondsOneThread.toFixed(1)} s wall / ${e.cpuSecondsOneThread.toFixed(1)} s cpu on the calling thread, ` +
      `${e.secondsTwoThreads.toFixed(1)} s wall / ${e.cpuSecondsTwoThreads.toFixed(1)} s cpu with a feature worker too (${e.speedupTwoThreads.toFixed(2)}× wall)`,
    );
  }
  lines.push(
    `peak RSS of this bench ${maxRssMiB} MiB; for 100 h: streaming loader ≈ ${memory100h.streamingLoaderMiB} MiB (default window), ` +
    `all frames in memory ≈ ${(memory100h.inMemoryLoaderMiB / 1024).toFixed(0)} GiB; feature store on disk ≈ ${memory100h.featureStoreOnDiskGiB} GiB`,
  );
  lines.push(
    `loader alone on a synthetic ${large.files}-file, ${(large.frames / 1e6).toFixed(1)} M-frame source (default window, ${large.windowsStreamed} of ${large.windowsPerEpoch} windows): ` +
    `at most ${large.peakHeldFrames} frames (${large.peakHeldMiB} MiB) held, RSS ${large.rssMiBFirst} MiB after the first window, ${large.rssMiBLast} MiB after the last; ` +
    `${(large.loaderOnlyFramesPerSecond / 1e3).toFixed(0)} k frames/s`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
