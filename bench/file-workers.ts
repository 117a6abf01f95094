/**
 * The worker-thread plumbing the per-file benches share (bench:plc, bench:quality,
 * bench:quality-pesq): the files are dealt round-robin to N workers running the bench's own
 * script, each worker scores its share and posts messages back, and the main thread collects
 * them. A worker that throws posts one error message instead of dying silently.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** A worker's failure as the bench's message type carries it. */
export interface WorkerErrorMessage {
  type: 'error';
  file: string;
  message: string;
}

/**
 * Run `script` in `workers` threads; worker w gets `inputFor(w)` (typically every w-th file) as
 * its workerData, and every message it posts goes to `onMessage`. Rejects if a worker fails.
 */
export async function runFileWorkers<I, M>(script: string, workers: number, inputFor: (w: number) => I, onMessage: (m: M) => void): Promise<void> {
  await Promise.all(Array.from({ length: workers }, (_, w) => new Promise<void>((resolve, reject) => {
    const worker = new Worker(script, { workerData: inputFor(w) });
    worker.on('message', onMessage);
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  })));
}

/**
 * The bench's entry point: on the main thread `main` (a failure prints one line and exits 2);
 * in a worker `work` on its workerData, posting every message, and any throw as an error message.
 */
export function benchEntry<I, M>(name: string, main: () => Promise<void>, work: (input: I, emit: (m: M) => void) => Promise<void>): void {
  if (isMainThread) {
    main().catch((err: unknown) => {
      process.stderr.write(`bench:${name} failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 2;
    });
  } else if (parentPort) {
    const port = parentPort;
    work(workerData as I, (m) => port.postMessage(m)).catch((err: unknown) => {
      port.postMessage({ type: 'error', file: '(worker)', message: (err as Error).message } satisfies WorkerErrorMessage);
    });
  }
}
