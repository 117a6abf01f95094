/**
 * Residual k-means for a multi-stage VQ (the default model of issue 5, and the baseline that
 * NSVQ training in issue 6 must beat).
 *
 * Stage i is trained by Lloyd's algorithm on the residual that stages 0…i−1 leave (greedy
 * sequential MSVQ, Juang & Gray 1982). Init: 2^bits distinct training vectors drawn with a
 * seeded RNG. A cluster that ends an iteration empty is re-seeded with a vector drawn with
 * probability ∝ its squared error (the k-means++ rule), so no codeword is wasted. Everything
 * is deterministic for a given seed and worker count does not change the result (the search
 * is exact, ties → lowest index, and the update is done in one fixed order on the main thread).
 *
 * The assignment step dominates (n × 2^bits × dim multiply-adds) and is spread over the
 * project's search pool (search-pool.ts), which reads the residual from a SharedArrayBuffer
 * without copies.
 */
import { availableParallelism } from 'node:os';
import { nearestCodewords } from './search.js';
import { SearchPool } from './search-pool.js';
import { Rng } from './random.js';

export interface ResidualKMeansOptions {
  /** Number of stages to train. */
  stages: number;
  /** Bits per stage: 2^bits codewords. */
  bits: number;
  /** Lloyd iteration cap per stage (default 25). */
  maxIterations?: number;
  /** Stop a stage when the relative distortion drop of an iteration is below this (default 1e-4). */
  tolerance?: number;
  /** RNG seed (default 1). */
  seed?: number;
  /** Threads for the search, the calling thread included (default: available cores; 1 = calling thread only). */
  workers?: number;
  /** Called after every Lloyd iteration. */
  onIteration?: (info: IterationInfo) => void;
}

export interface IterationInfo {
  stage: number;
  iteration: number;
  /** Mean squared error per vector (sum over dims) after this iteration's assignment. */
  distortion: number;
  reseeded: number;
}

export interface StageReport {
  stage: number;
  iterations: number;
  /** Mean ‖residual‖² per vector after this stage (sum over dims). */
  distortion: number;
  /** Mean over vectors of the RMS residual, √(‖r‖²/dim) (×10/ln 10 = log-spectral distortion in dB for natural-log powers). */
  meanRms: number;
  /** exp(entropy) of the codeword usage on the training data, ≤ 2^bits. */
  perplexity: number;
  /** Codewords re-seeded because they were empty, over all iterations. */
  reseeded: number;
  /** Codewords that no training vector uses at the end. */
  unused: number;
}

export interface ResidualKMeansResult {
  codebooks: Float32Array[];
  /** Mean ‖x‖² per vector before any stage (the distortion of "no quantizer"). */
  initialDistortion: number;
  stages: StageReport[];
}

/**
 * Train `opts.stages` codebooks of 2^bits × dim on `data` (n × dim row-major).
 * `data` is not modified.
 */
export async function trainResidualKMeans(data: Float32Array, n: number, dim: number, opts: ResidualKMeansOptions): Promise<ResidualKMeansResult> {
  const k = 2 ** opts.bits;
  if (!Number.isInteger(opts.bits) || opts.bits < 1 || opts.bits > 16) throw new RangeError(`bits must be 1…16 (got ${opts.bits})`);
  if (!Number.isInteger(opts.stages) || opts.stages < 1) throw new RangeError(`stages must be ≥ 1 (got ${opts.stages})`);
  if (data.length < n * dim) throw new RangeError(`data has ${data.length} values, need ${n}×${dim}`);
  if (n < k) throw new RangeError(`need at least ${k} training vectors for ${opts.bits}-bit stages (got ${n})`);
  const maxIterations = opts.maxIterations ?? 25;
  const tolerance = opts.tolerance ?? 1e-4;
  const rng = new Rng(opts.seed ?? 1);

  // The residual lives in shared memory so the pool's workers read it without copies.
  const residual = new Float32Array(new SharedArrayBuffer(n * dim * 4));
  residual.set(data.subarray(0, n * dim));
  // As before the switch to SearchPool: anything below 2 (or NaN) means the calling thread only.
  const pool = new SearchPool(Math.max(1, Math.floor(opts.workers ?? availableParallelism()) || 1));
  const assignment = new Int32Array(n);
  try {
    const initialDistortion = meanSquaredNorm(residual, n, dim);
    const codebooks: Float32Array[] = [];
    const stages: StageReport[] = [];
    const err = new Float64Array(n);
    for (let s = 0; s < opts.stages; s++) {
      const cb = sampleDistinctRows(residual, n, dim, k, rng);
      let prev = Infinity;
      let reseededTotal = 0;
      let idx: Int32Array = new Int32Array(0);
      let iterations = 0;
      let distortion = Infinity;
      for (let it = 0; it < maxIterations; it++) {
        idx = await pool.nearest(residual, n, cb, k, dim, assignment);
        distortion = squaredErrors(residual, n, dim, cb, idx, err);
        iterations = it + 1;
        const done = prev - distortion <= tolerance * distortion || it === maxIterations - 1;
        prev = distortion;
        if (done) {
          opts.onIteration?.({ stage: s, iteration: it, distortion, reseeded: 0 });
          break;
        }
        const reseeded = updateCentroids(residual, n, dim, cb, k, idx, err, rng);
        reseededTotal += reseeded;
        opts.onIteration?.({ stage: s, iteration: it, distortion, reseeded });
      }
      // Final assignment against the final codebook, then subtract it from the residual.
      const counts = new Float64Array(k);
      for (let r = 0; r < n; r++) {
        const j = idx[r];
        counts[j]++;
        const ro = r * dim;
        const co = j * dim;
        for (let d = 0; d < dim; d++) residual[ro + d] -= cb[co + d];
      }
      let entropy = 0;
      let unused = 0;
      for (let j = 0; j < k; j++) {
        if (counts[j] === 0) { unused++; continue; }
        const p = counts[j] / n;
        entropy -= p * Math.log(p);
      }
      let rmsSum = 0;
      for (let r = 0; r < n; r++) {
        let e = 0;
        for (let d = 0; d < dim; d++) e += residual[r * dim + d] ** 2;
        rmsSum += Math.sqrt(e / dim);
      }
      codebooks.push(cb);
      stages.push({
        stage: s, iterations, distortion: meanSquaredNorm(residual, n, dim), meanRms: rmsSum / n, perplexity: Math.exp(entropy), reseeded: reseededTotal, unused,
      });
    }
    return { codebooks, initialDistortion, stages };
  } finally {
    await pool.close();
  }
}

/**
 * Greedy sequential MSVQ encoding with the first `stages` codebooks: stage i picks the nearest
 * codeword to what stages 0…i−1 left. Returns indices (n × stages) and the reconstruction.
 */
export function msvqQuantize(
  data: Float32Array, n: number, dim: number, codebooks: Float32Array[], stages = codebooks.length,
): { indices: Int32Array; reconstruction: Float32Array } {
  const residual = Float32Array.from(data.subarray(0, n * dim));
  const recon = new Float32Array(n * dim);
  const indices = new Int32Array(n * stages);
  const idx = new Int32Array(n);
  for (let s = 0; s < stages; s++) {
    const cb = codebooks[s];
    const k = cb.length / dim;
    nearestCodewords(residual, n, cb, k, dim, idx);
    for (let r = 0; r < n; r++) {
      const co = idx[r] * dim;
      indices[r * stages + s] = idx[r];
      for (let d = 0; d < dim; d++) {
        residual[r * dim + d] -= cb[co + d];
        recon[r * dim + d] += cb[co + d];
      }
    }
  }
  return { indices, reconstruction: recon };
}

function meanSquaredNorm(x: Float32Array, n: number, dim: number): number {
  let acc = 0;
  for (let i = 0; i < n * dim; i++) acc += x[i] * x[i];
  return acc / n;
}

/** Per-vector squared error to the assigned codeword (into err); returns the mean. */
function squaredErrors(x: Float32Array, n: number, dim: number, cb: Float32Array, idx: Int32Array, err: Float64Array): number {
  let total = 0;
  for (let r = 0; r < n; r++) {
    const ro = r * dim;
    const co = idx[r] * dim;
    let e = 0;
    for (let d = 0; d < dim; d++) {
      const t = x[ro + d] - cb[co + d];
      e += t * t;
    }
    err[r] = e;
    total += e;
  }
  return total / n;
}

/** k distinct rows, chosen by a seeded partial Fisher–Yates shuffle. */
function sampleDistinctRows(x: Float32Array, n: number, dim: number, k: number, rng: Rng): Float32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  const cb = new Float32Array(k * dim);
  for (let i = 0; i < k; i++) cb.set(x.subarray(order[i] * dim, order[i] * dim + dim), i * dim);
  return cb;
}

/**
 * Lloyd update: each codeword becomes the mean of its vectors. Empty codewords are re-seeded
 * with a training vector drawn ∝ its squared error (k-means++ rule); the error of a drawn
 * vector is zeroed so it is not drawn twice. Returns how many were re-seeded.
 */
function updateCentroids(x: Float32Array, n: number, dim: number, cb: Float32Array, k: number, idx: Int32Array, err: Float64Array, rng: Rng): number {
  const sums = new Float64Array(k * dim);
  const counts = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const j = idx[r];
    counts[j]++;
    const ro = r * dim;
    const so = j * dim;
    for (let d = 0; d < dim; d++) sums[so + d] += x[ro + d];
  }
  let empty = 0;
  for (let j = 0; j < k; j++) {
    if (counts[j] > 0) {
      for (let d = 0; d < dim; d++) cb[j * dim + d] = sums[j * dim + d] / counts[j];
    } else {
      empty++;
    }
  }
  if (empty === 0) return 0;
  const cumulative = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) { acc += err[r]; cumulative[r] = acc; }
  for (let j = 0; j < k; j++) {
    if (counts[j] > 0) continue;
    let r: number;
    if (acc > 0) {
      const target = rng.uniform() * acc;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid] > target) hi = mid; else lo = mid + 1; }
      r = lo;
    } else {
      r = rng.int(n);
    }
    cb.set(x.subarray(r * dim, r * dim + dim), j * dim);
    // Remove r's weight from later draws (rebuild of the tail is O(n); empties are rare).
    const w = err[r];
    if (w > 0) {
      err[r] = 0;
      for (let q = r; q < n; q++) cumulative[q] -= w;
      acc -= w;
    }
  }
  return empty;
}
