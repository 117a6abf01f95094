/**
 * A many-file `encode`/`decode` (issue 15): plan the outputs, run the files on --jobs worker
 * threads (or in this thread for one job), show one progress bar, and list the files that failed
 * at the end without stopping for them. Every output is atomic (temp file + rename), and an
 * interrupted run removes the temporary files of the files in flight.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseBitrate } from '../coding/modes.js';
import { EXIT_INTERNAL_ERROR, UserError } from '../errors.js';
import { loadModel } from '../model/codec-model.js';
import { BatchJobRunner, type BatchJobOptions } from './batch-job.js';
import { planBatch, type BatchFailure, type BatchItem, type BatchKind } from './batch-plan.js';
import type { WorkerJob, WorkerReply, WorkerSetup } from './batch-worker.js';
import { checkRateOption } from './decode-file.js';
import { openProgressBar } from './progress.js';

export interface BatchRunOptions extends BatchJobOptions {
  /** Worker threads; default: the cores available. */
  jobs?: number;
}

export interface BatchSummary {
  done: number;
  failures: BatchFailure[];
  seconds: number;
  outDir: string;
}

/** Run `kind` over `inputs` into `outDir`; prints the summary and failure list to stderr. */
export async function runBatch(kind: BatchKind, inputs: readonly string[], outDir: string, opts: BatchRunOptions): Promise<BatchSummary> {
  // Option and model mistakes end the run before any file is touched.
  if (kind === 'encode') parseBitrate(opts.bitrate);
  else checkRateOption(opts.rate);
  loadModel(opts.model);
  const t0 = performance.now();
  const plan = await planBatch(kind, inputs, outDir);
  if (plan.items.length === 0 && plan.failures.length === 0) throw new UserError('no input files');
  const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), plan.items.length));
  const failures: BatchFailure[] = [...plan.failures];
  const bar = await openProgressBar(`${kind} [{bar}] {percentage}% {value}/{total} files | {failed} failed | {eta_formatted} left`);
  bar?.start(plan.items.length, 0, { failed: failures.length });
  let finished = 0;
  const onDone = (item: BatchItem, failure: Omit<BatchFailure, 'label'> | null): void => {
    finished++;
    if (failure) failures.push({ label: item.label, ...failure });
    bar?.update(finished, { failed: failures.length });
  };
  const inFlight = new Set<BatchItem>();
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    bar?.stop();
    for (const it of inFlight) removeTemporaryFiles(it.output);
    process.stderr.write(`nsvq-codec: interrupted (${signal}); ${finished} of ${plan.items.length} files done, no partial outputs left\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    if (jobs === 1) await runHere(kind, plan.items, opts, inFlight, onDone);
    else await runOnWorkers(kind, plan.items, opts, jobs, inFlight, onDone);
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    bar?.stop();
  }
  const summary: BatchSummary = { done: plan.items.length - (failures.length - plan.failures.length), failures, seconds: (performance.now() - t0) / 1000, outDir: plan.outDir };
  report(kind, summary, plan.items.length + plan.failures.length);
  return summary;
}

function report(kind: BatchKind, s: BatchSummary, total: number): void {
  const verb = kind === 'encode' ? 'encoded' : 'decoded';
  const lines = [`${verb} ${s.done} of ${total} files into ${s.outDir} in ${s.seconds.toFixed(1)} s`];
  if (s.failures.length > 0) {
    lines.push(`${s.failures.length} failed (skipped, no output written):`);
    for (const f of s.failures) lines.push(`  ${f.label}: ${f.message.split('\n')[0]}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  if (s.failures.some((f) => f.internal)) {
    // A bug: exit 2 as for any internal error, with the first stack for the report.
    const first = s.failures.find((f) => f.internal);
    process.stderr.write(`nsvq-codec: internal error while processing ${first?.label}: ${first?.message}\n`);
    process.exitCode = EXIT_INTERNAL_ERROR;
    return;
  }
  if (s.failures.length > 0) throw new UserError(`${s.failures.length} of ${total} files failed (listed above)`);
}

/** Temporary files of an output (util/atomic-file.ts names them `.NAME.PID.RANDOM.tmp` beside it). */
function removeTemporaryFiles(output: string): void {
  const dir = path.dirname(output);
  const prefix = `.${path.basename(output)}.${process.pid}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith(prefix) && n.endsWith('.tmp')) {
      try { unlinkSync(path.join(dir, n)); } catch { /* already gone */ }
    }
  }
}

type OnDone = (item: BatchItem, failure: Omit<BatchFailure, 'label'> | null) => void;

/** --jobs 1: in this thread, no worker start-up. */
async function runHere(kind: BatchKind, items: readonly BatchItem[], opts: BatchJobOptions, inFlight: Set<BatchItem>, onDone: OnDone): Promise<void> {
  const runner = new BatchJobRunner(kind, opts);
  for (const it of items) {
    inFlight.add(it);
    const failure = await runner.run(it.input, it.output);
    inFlight.delete(it);
    onDone(it, failure);
  }
}

/** One file at a time per worker; a worker that dies fails its file and is replaced. */
function runOnWorkers(kind: BatchKind, items: readonly BatchItem[], opts: BatchJobOptions, jobs: number, inFlight: Set<BatchItem>, onDone: OnDone): Promise<void> {
  const setup: WorkerSetup = { kind, opts: { bitrate: opts.bitrate, rate: opts.rate, model: opts.model } };
  const url = new URL('./batch-worker.js', import.meta.url);
  let next = 0;
  let running = 0;
  return new Promise<void>((resolve) => {
    const start = (): void => {
      const w = new Worker(url, { workerData: setup });
      running++;
      let current: number | null = null;
      const feed = (): void => {
        if (next < items.length) {
          current = next++;
          inFlight.add(items[current]);
          const job: WorkerJob = { index: current, input: items[current].input, output: items[current].output };
          w.postMessage(job);
        } else {
          current = null;
          w.postMessage(null);
        }
      };
      w.on('message', (reply: WorkerReply) => {
        const it = items[reply.index];
        inFlight.delete(it);
        current = null;
        onDone(it, reply.failure);
        feed();
      });
      w.on('error', (err) => {
        if (current !== null) {
          const it = items[current];
          inFlight.delete(it);
          removeTemporaryFiles(it.output);
          onDone(it, { message: `internal error: worker failed: ${err.message}`, internal: true });
          current = null;
        }
      });
      w.on('exit', () => {
        running--;
        if (current !== null) {
          // Ended without answering (killed, out of memory): its file failed.
          const it = items[current];
          inFlight.delete(it);
          removeTemporaryFiles(it.output);
          onDone(it, { message: 'internal error: worker exited while processing this file', internal: true });
        }
        if (next < items.length) start();
        else if (running === 0) resolve();
      });
      feed();
    };
    for (let i = 0; i < jobs; i++) start();
  });
}
