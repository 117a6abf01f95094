/**
 * Jobs of the toy study (bench/toy.ts) and a small worker pool that runs them on
 * node:worker_threads with a progress bar and an ETA (cli-progress; printed every 30 s when
 * stderr is not a terminal). A job is one (data set, seed, bit rate) with all its methods,
 * trained in lockstep on the same batches.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import type { ToyDataset, ToyParams } from '../src/vq/toy-data.js';
import type { ToyMethod } from '../src/vq/toy-trainer.js';

export interface ToyJob {
  id: number;
  dataset: ToyDataset;
  params: ToyParams;
  seed: number;
  bits: number;
  methods: ToyMethod[];
  samples: number;
  batch: number;
  epochs: number;
  lr: number;
  threshold: number;
  diveqNoise: number;
  maxSteps?: number;
  /** SF-DiVeQ: samples for the MSE to the curve (0 = skip). */
  curveSamples: number;
  keepCodebook: boolean;
}

export interface ToyMethodResult {
  method: ToyMethod;
  mse: number;
  dead: number;
  replaced: number;
  sharedSearches: number;
  steps: number;
  curveMse?: number;
  codebook?: number[];
}

export interface ToyJobResult {
  id: number;
  results: ToyMethodResult[];
  /** process.cpuUsage() over the job: process-wide in Node 20, so it includes the other worker's concurrent use. */
  cpuSeconds: number;
  wallSeconds: number;
}

export type ToyMessage =
  | { type: 'progress'; steps: number }
  | { type: 'result'; result: ToyJobResult }
  | { type: 'error'; id: number; message: string };

/** Steps a job will run. */
export function jobSteps(j: ToyJob): number {
  const total = Math.floor(j.samples / j.batch) * j.epochs;
  return Math.min(total, j.maxSteps ?? Infinity);
}

/**
 * Run the jobs on `threads` workers (by default largest first; each worker takes the next job
 * when done); `onResult` sees each result as it arrives.
 * `label` names the bar. Results come back in job order.
 */
export async function runToyJobs(
  jobs: ToyJob[],
  threads: number,
  label: string,
  opts: { order?: (a: ToyJob, b: ToyJob) => number; onResult?: (r: ToyJobResult) => void } = {},
): Promise<ToyJobResult[]> {
  const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'toy-worker.js');
  const queue = jobs.slice().sort(opts.order ?? ((a, b) => b.bits - a.bits || a.id - b.id));
  const total = jobs.reduce((s, j) => s + jobSteps(j), 0);
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} steps | {jobs} jobs | elapsed {duration_formatted} | ETA {eta_formatted}`,
      hideCursor: true,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 30_000,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let finished = 0;
  bar.start(total, 0, { jobs: `0/${jobs.length}` });
  const results = new Map<number, ToyJobResult>();
  const n = Math.max(1, Math.min(threads, jobs.length));
  try {
    await Promise.all(
      Array.from({ length: n }, () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(workerFile);
          const next = () => {
            const job = queue.shift();
            if (!job) {
              void w.terminate().then(() => resolve());
              return;
            }
            w.postMessage(job);
          };
          w.on('message', (m: ToyMessage) => {
            if (m.type === 'progress') {
              done += m.steps;
              bar.update(done, { jobs: `${finished}/${jobs.length}` });
            } else if (m.type === 'result') {
              results.set(m.result.id, m.result);
              opts.onResult?.(m.result);
              finished++;
              bar.update(done, { jobs: `${finished}/${jobs.length}` });
              next();
            } else {
              reject(new Error(`toy job ${m.id} failed: ${m.message}`));
              void w.terminate();
            }
          });
          w.on('error', reject);
          next();
        }),
      ),
    );
  } finally {
    bar.stop();
  }
  return jobs.map((j) => {
    const r = results.get(j.id);
    if (!r) throw new Error(`toy job ${j.id} has no result`);
    return r;
  });
}
