/**
 * Spread an evaluation over worker threads, one file per task (a file's rates and systems stay
 * in one worker so it is loaded once). A worker that dies (uncaught error, out of memory) costs
 * only the file it held: that file is reported as an error and a fresh worker takes the rest.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FileEvaluator, type EvalJobConfig, type FileResult } from './eval-file.js';
import type { AudioFileRef } from '../audio/scan.js';

export type WorkerRequest = { type: 'file'; file: AudioFileRef };
export type WorkerReply = { type: 'step' } | { type: 'done'; result: FileResult };

export interface PoolCallbacks {
  /** After every round trip (file × system × rate), including skipped ones of a failed file. */
  onStep?: () => void;
  onFileDone?: (file: AudioFileRef, result: FileResult) => void;
}

/** The compiled worker script beside this module (dist/src/eval/eval-worker.js). */
export function workerScriptUrl(): URL {
  const url = new URL('./eval-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`eval worker script not found at ${fileURLToPath(url)}; worker threads need the compiled dist/ tree (npm run build)`);
  }
  return url;
}

/**
 * Evaluate `files` with up to `jobs` worker threads (jobs ≤ 1: in this thread).
 * Results are returned in the order of `files`.
 */
export async function evaluateFiles(files: AudioFileRef[], cfg: EvalJobConfig, jobs: number, cb: PoolCallbacks = {}): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  const steps = cfg.systems.length * cfg.bitrates.length;
  if (jobs <= 1 || files.length <= 1) {
    const ev = new FileEvaluator(cfg);
    for (let i = 0; i < files.length; i++) {
      results[i] = await ev.evaluate(files[i], cb.onStep);
      cb.onFileDone?.(files[i], results[i]);
    }
    return results;
  }

  const script = workerScriptUrl();
  let next = 0;
  return new Promise<FileResult[]>((resolve) => {
    let live = 0;
    const finish = (i: number, r: FileResult): void => {
      results[i] = r;
      cb.onFileDone?.(files[i], r);
    };
    const start = (): void => {
      if (next >= files.length) return;
      const w = new Worker(script, { workerData: cfg });
      live++;
      let current = -1;
      let stepsDone = 0;
      let dead = false;
      const give = (): void => {
        if (next >= files.length) {
          current = -1;
          dead = true;
          void w.terminate();
          return;
        }
        current = next++;
        stepsDone = 0;
        w.postMessage({ type: 'file', file: files[current] } satisfies WorkerRequest);
      };
      const lose = (why: string): void => {
        // The worker is gone: charge its file, start a replacement for the remaining queue.
        if (current >= 0) {
          for (; stepsDone < steps; stepsDone++) cb.onStep?.();
          finish(current, { rows: [], errors: [{ file: files[current].rel, message: `worker failed: ${why}` }] });
          current = -1;
          start();
        }
      };
      w.on('message', (msg: WorkerReply) => {
        if (msg.type === 'step') {
          stepsDone++;
          cb.onStep?.();
        } else {
          finish(current, msg.result);
          give();
        }
      });
      w.on('error', (err) => { dead = true; lose(err.message.split('\n')[0]); });
      w.on('exit', (code) => {
        if (!dead) lose(`exited with code ${code}`);
        live--;
        if (live === 0) resolve(results);
      });
      give();
    };
    const n = Math.min(jobs, files.length);
    for (let k = 0; k < n; k++) start();
  });
}
