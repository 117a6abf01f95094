/**
 * Worker-thread path of the nearest-codeword search for large batches (DESIGN §2 "Search
 * kernel"). Rows are split into contiguous ranges; the calling thread searches one range
 * itself while `threads − 1` workers search the others, all on SharedArrayBuffers. Results
 * are bit-identical to `nearestCodewords` (same kernel, same tie rule, per row).
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { codewordNorms64, nearestCodewords, nearestRange } from './search.js';
import type { SearchJob } from './search-worker.js';

/** Below this many row×codeword pairs per thread the thread hand-off costs more than it saves. */
export const MIN_WORK_PER_THREAD = 1 << 16;

/** Locate the compiled worker: beside this module in dist/, or dist/ from the sources (vitest). */
function workerPath(): string {
  const beside = fileURLToPath(new URL('./search-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const fromSrc = fileURLToPath(new URL('../../dist/src/vq/search-worker.js', import.meta.url));
  if (existsSync(fromSrc)) return fromSrc;
  throw new Error(`search worker not found at ${beside} (run npm run build)`);
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A fixed pool of search workers. Workers are unref'd: an idle pool never keeps Node alive. */
export class SearchPool {
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /** `threads` counts the calling thread too, so threads = 2 starts one worker. */
  constructor(threads: number = Math.max(1, cpus().length)) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be ≥ 1, got ${threads}`);
    this.threads = threads;
    const file = threads > 1 ? workerPath() : '';
    for (let t = 1; t < threads; t++) {
      const w = new Worker(file);
      w.unref();
      w.on('message', (m: { id: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve();
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  /** Same contract as `nearestCodewords`. */
  async nearest(
    data: Float32Array,
    n: number,
    codebook: Float32Array,
    k: number,
    dim: number,
    out?: Int32Array,
  ): Promise<Int32Array> {
    if (this.closed) throw new Error('SearchPool is closed');
    const threads = Math.min(this.threads, Math.max(1, Math.floor((n * k) / MIN_WORK_PER_THREAD)));
    if (threads <= 1) return nearestCodewords(data, n, codebook, k, dim, out);
    if (k < 1) throw new RangeError('codebook is empty');
    if (data.length < n * dim || codebook.length < k * dim) throw new RangeError('data/codebook shorter than n×dim / k×dim');
    const result = out ?? new Int32Array(n);
    if (result.length < n) throw new RangeError(`out: length ${result.length} < ${n}`);

    const dataS = sharedCopy(data, n * dim);
    const cbS = sharedCopy(codebook, k * dim);
    const norms64 = codewordNorms64(codebook, k, dim);
    const normsS = new Float64Array(new SharedArrayBuffer(k * 8));
    normsS.set(norms64);
    const outS = new Int32Array(new SharedArrayBuffer(n * 4));

    const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.round((t * n) / threads));
    const jobs: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const job: SearchJob = {
        id: this.nextId++,
        data: dataS.buffer as SharedArrayBuffer,
        codebook: cbS.buffer as SharedArrayBuffer,
        norms: normsS.buffer as SharedArrayBuffer,
        out: outS.buffer as SharedArrayBuffer,
        k,
        dim,
        r0: bounds[t],
        r1: bounds[t + 1],
      };
      jobs.push(
        new Promise<void>((resolve, reject) => {
          this.pending.set(job.id, { resolve, reject });
          this.workers[t - 1].postMessage(job);
        }),
      );
    }
    // The calling thread takes the first range while the workers run.
    nearestRange(dataS, bounds[0], bounds[1], cbS, normsS, k, dim, outS);
    await Promise.all(jobs);
    result.set(outS.subarray(0, n));
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function sharedCopy(src: Float32Array, len: number): Float32Array {
  if (src.buffer instanceof SharedArrayBuffer && src.byteOffset === 0) return src;
  const dst = new Float32Array(new SharedArrayBuffer(len * 4));
  dst.set(src.subarray(0, len));
  return dst;
}

let defaultPool: SearchPool | null = null;

/**
 * `nearestCodewords` on a lazily created process-wide pool of `threads` threads (default: the
 * number of CPUs). Small batches run on the calling thread.
 */
export async function nearestCodewordsParallel(
  data: Float32Array,
  n: number,
  codebook: Float32Array,
  k: number,
  dim: number,
  out?: Int32Array,
  threads?: number,
): Promise<Int32Array> {
  const want = threads ?? Math.max(1, cpus().length);
  if (!defaultPool || defaultPool.threads !== want) {
    if (defaultPool) void defaultPool.close();
    defaultPool = new SearchPool(want);
  }
  return defaultPool.nearest(data, n, codebook, k, dim, out);
}
