/**
 * Worker-thread entry of a folder run (batch-run.ts): receives one file at a time, answers with
 * its index and, when it failed, why. A null message ends the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchJobRunner, type BatchJobOptions } from './batch-job.js';
import type { BatchKind } from './batch-plan.js';

/** What batch-run.ts sends and receives. */
export interface WorkerJob { index: number; input: string; output: string }
export interface WorkerReply { index: number; failure: { message: string; internal?: boolean } | null }
export interface WorkerSetup { kind: BatchKind; opts: BatchJobOptions }

const port = parentPort;
if (port === null) throw new Error('batch-worker.ts must run in a worker thread');
const setup = workerData as WorkerSetup;
const runner = new BatchJobRunner(setup.kind, setup.opts);
port.on('message', (job: WorkerJob | null) => {
  if (job === null) {
    port.close();
    return;
  }
  void runner.run(job.input, job.output).then((failure) => {
    const reply: WorkerReply = { index: job.index, failure };
    port.postMessage(reply);
  });
});
