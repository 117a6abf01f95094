/**
 * Worker side of the search pool (search-pool.ts): runs `nearestRange` on a row range of
 * shared buffers and replies with the job id. No copies: all arrays live in SharedArrayBuffers.
 */
import { parentPort } from 'node:worker_threads';
import { nearestRange } from './search.js';

export interface SearchJob {
  id: number;
  data: SharedArrayBuffer;
  codebook: SharedArrayBuffer;
  norms: SharedArrayBuffer;
  out: SharedArrayBuffer;
  k: number;
  dim: number;
  r0: number;
  r1: number;
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: SearchJob) => {
    try {
      nearestRange(
        new Float32Array(job.data),
        job.r0,
        job.r1,
        new Float32Array(job.codebook),
        new Float64Array(job.norms),
        job.k,
        job.dim,
        new Int32Array(job.out),
      );
      port.postMessage({ id: job.id });
    } catch (err) {
      port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
