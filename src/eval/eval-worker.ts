/**
 * Worker-thread entry for `nsvq-codec eval` (started by eval-pool.ts from the compiled dist/
 * tree). Protocol, parent → worker: { type: 'file', file: AudioFileRef }; worker → parent:
 * { type: 'step' } after each round trip, then { type: 'done', result: FileResult }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileEvaluator, type EvalJobConfig } from './eval-file.js';
import type { AudioFileRef } from '../audio/scan.js';
import type { WorkerReply, WorkerRequest } from './eval-pool.js';

if (!parentPort) throw new Error('eval-worker.js must run as a worker thread');
const port = parentPort;
const evaluator = new FileEvaluator(workerData as EvalJobConfig);

port.on('message', (msg: WorkerRequest) => {
  const file: AudioFileRef = msg.file;
  const step: WorkerReply = { type: 'step' };
  evaluator
    .evaluate(file, () => port.postMessage(step))
    .then((result) => port.postMessage({ type: 'done', result } satisfies WorkerReply))
    // evaluate() catches per-cell errors itself; anything here is a bug, reported per file.
    .catch((err: unknown) => port.postMessage({
      type: 'done',
      result: { rows: [], errors: [{ file: file.rel, message: `internal error: ${String((err as Error)?.message ?? err)}` }] },
    } satisfies WorkerReply));
});
