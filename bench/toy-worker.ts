/**
 * Worker thread of bench/toy.ts: trains the jobs it is sent with the fast 2-D trainer
 * (src/vq/toy-trainer.ts) and posts progress (steps) and results (MSE, dead codewords, and the
 * codebook when asked). Data sets are generated here from their seed and parameters, and the
 * last one is kept for the next job.
 */
import { parentPort } from 'node:worker_threads';
import { Rng } from '../src/vq/random.js';
import { nearestOnSegments } from '../src/vq/sf-diveq.js';
import { initFromData, toyData } from '../src/vq/toy-data.js';
import { evaluateToy, toySeed, trainToyMethods } from '../src/vq/toy-trainer.js';
import type { ToyJob, ToyJobResult, ToyMessage } from './toy-jobs.js';

if (!parentPort) throw new Error('bench/toy-worker.js must run as a worker thread');
const port = parentPort;

let cacheKey = '';
let cache: { d32: Float32Array; d64: Float64Array } | null = null;

function dataFor(job: ToyJob): { d32: Float32Array; d64: Float64Array } {
  const key = JSON.stringify([job.dataset, job.params, job.seed, job.samples]);
  if (cache && key === cacheKey) return cache;
  const d32 = toyData(job.dataset, job.samples, new Rng(toySeed('data', job.dataset, job.seed)), job.params);
  cache = { d32, d64: Float64Array.from(d32) };
  cacheKey = key;
  return cache;
}

function run(job: ToyJob): ToyJobResult {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { d32, d64 } = dataFor(job);
  const n = job.samples;
  const k = 1 << job.bits;
  const init = initFromData(d32, n, k, 2, new Rng(toySeed('init', job.dataset, job.seed, job.bits)));
  const trained = trainToyMethods(d64, n, init, job.methods, {
    k,
    batch: job.batch,
    epochs: job.epochs,
    lr: job.lr,
    replacementThreshold: job.threshold,
    diveqNoise: job.diveqNoise,
    orderSeed: (e) => toySeed('order', job.dataset, job.seed, e),
    methodSeed: toySeed('method', job.dataset, job.seed, job.bits),
    maxSteps: job.maxSteps,
    onProgress: (steps) => port.postMessage({ type: 'progress', steps } satisfies ToyMessage),
    progressEvery: 20,
  });
  const results = trained.map((r) => {
    const ev = evaluateToy(d64, n, r.codebook, k);
    let curveMse: number | undefined;
    if (r.method === 'SF-DiVeQ' && job.curveSamples > 0) {
      const nc = Math.min(job.curveSamples, n);
      const proj = nearestOnSegments(d32, nc, Float32Array.from(r.codebook), k, 2);
      let se = 0;
      for (let i = 0; i < 2 * nc; i++) se += (d32[i] - proj.points[i]) ** 2;
      curveMse = se / (2 * nc);
    }
    return {
      method: r.method,
      mse: ev.mse,
      dead: ev.dead,
      replaced: r.replaced,
      sharedSearches: r.sharedSearches,
      steps: r.steps,
      curveMse,
      codebook: job.keepCodebook ? Array.from(r.codebook) : undefined,
    };
  });
  const cpu = process.cpuUsage(cpu0);
  return { id: job.id, results, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000 };
}

port.on('message', (job: ToyJob) => {
  try {
    port.postMessage({ type: 'result', result: run(job) } satisfies ToyMessage);
  } catch (e) {
    port.postMessage({ type: 'error', id: job.id, message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies ToyMessage);
  }
});
