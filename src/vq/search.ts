/**
 * Exact nearest-codeword search over Float32Arrays (DESIGN §2 "Search kernel").
 *
 * Definition (the "naive reference" every path must reproduce exactly):
 *   d(x, c_k) = Σ_i (x_i − c_{k,i})², accumulated in float64 in index order i = 0…D−1,
 *   index = argmin_k d(x, c_k), ties → the lowest k.
 * See `nearestCodewordsNaive`.
 *
 * Fast path: score f_k = ‖c_k‖² − 2·x·c_k in float64 (x and c are float32, so every product
 * x_i·c_{k,i} is exact in float64; only the sums round). f_k + ‖x‖² differs from d(x, c_k) by
 * at most δ = κ·(‖x‖² + ‖c_k‖²) with κ = (8D + 32)·2⁻⁵² (a forward-error bound for the
 * D-term float64 sums on both sides, using 2|x·c| ≤ ‖x‖² + ‖c‖², with ~2× headroom). The scan tracks the best and second-best
 * scores; when they are within 2δ_max of each other the winner is not certain, and the vector is
 * rescanned with the naive distance. Exact ties (duplicated codewords, symmetric points) always
 * take this path, so ties resolve exactly like the naive reference. In practice the rescan fires
 * only on exact or near-exact ties.
 *
 * For dim = 2 with many codewords, `nearestCodewords` uses an exact cell-list search
 * (search-2d.ts) with the same definition.
 *
 * Fastest scan: a WebAssembly SIMD scan in float32 (search-wasm.ts) with the same best /
 * runner-up certificate, using a per-row float32 error bound derived from the scan's summation
 * order (see nearestRange); on rows it cannot settle, a candidate pass lists the codewords whose
 * float32 score is within the bound of the best and only those get the naive float64 distance
 * (all k when the list overflows). So every path returns the naive reference's indices.
 */
import { scanRoundingSteps, wasmScan } from './search-wasm.js';
import { Grid2D } from './search-2d.js';

/** ‖c_k‖² for each of the k codewords (float64 sums, stored as float32 per the shared contract). */
export function codewordNorms(codebook: Float32Array, k: number, dim: number): Float32Array {
  checkShape(codebook, k, dim, 'codebook');
  const out = new Float32Array(k);
  const n64 = codewordNorms64(codebook, k, dim);
  for (let j = 0; j < k; j++) out[j] = n64[j];
  return out;
}

/** ‖c_k‖² in float64: the kernel needs the unrounded value for its error bound. */
export function codewordNorms64(codebook: Float32Array, k: number, dim: number): Float64Array {
  const out = new Float64Array(k);
  for (let j = 0, o = 0; j < k; j++, o += dim) {
    let s = 0;
    for (let i = 0; i < dim; i++) {
      const v = codebook[o + i];
      s += v * v;
    }
    out[j] = s;
  }
  return out;
}

function checkShape(arr: Float32Array, rows: number, dim: number, what: string): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`${what}: bad shape ${rows}×${dim}`);
  }
  if (arr.length < rows * dim) {
    throw new RangeError(`${what}: length ${arr.length} < ${rows}×${dim}`);
  }
}

/** Naive reference: squared Euclidean distance in float64, index order, ties → lowest index. */
export function naiveDistance(data: Float32Array, xo: number, codebook: Float32Array, co: number, dim: number): number {
  let d = 0;
  for (let i = 0; i < dim; i++) {
    const t = data[xo + i] - codebook[co + i];
    d += t * t;
  }
  return d;
}

function naiveArgmin(data: Float32Array, xo: number, codebook: Float32Array, k: number, dim: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0, co = 0; j < k; j++, co += dim) {
    const d = naiveDistance(data, xo, codebook, co, dim);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/** The naive reference search (O(n·k·dim), used by tests and as the tie fallback). */
export function nearestCodewordsNaive(
  data: Float32Array,
  n: number,
  codebook: Float32Array,
  k: number,
  dim: number,
  out?: Int32Array,
): Int32Array {
  checkShape(data, n, dim, 'data');
  checkShape(codebook, k, dim, 'codebook');
  if (k < 1) throw new RangeError('codebook is empty');
  const idx = out ?? new Int32Array(n);
  for (let r = 0; r < n; r++) idx[r] = naiveArgmin(data, r * dim, codebook, k, dim);
  return idx;
}

/**
 * Exact nearest codeword for each of the n rows of `data` (n×dim, row-major) in `codebook`
 * (k×dim, row-major). Returns the indices in `out` (allocated when absent). NaN inputs give an
 * unspecified but valid index.
 */
export function nearestCodewords(
  data: Float32Array,
  n: number,
  codebook: Float32Array,
  k: number,
  dim: number,
  out?: Int32Array,
): Int32Array {
  checkShape(data, n, dim, 'data');
  checkShape(codebook, k, dim, 'codebook');
  if (k < 1) throw new RangeError('codebook is empty');
  const idx = out ?? new Int32Array(n);
  if (idx.length < n) throw new RangeError(`out: length ${idx.length} < ${n}`);
  if (dim === 2 && k >= 64 && n * k >= 65536 && gridEnabled) {
    // 2-D (the toy study): exact cell-list search, O(1) codewords per query (search-2d.ts).
    let grid: Grid2D | null = null;
    try {
      grid = new Grid2D(codebook, k);
    } catch {
      grid = null; // non-finite codewords: use the scan
    }
    if (grid) return grid.nearestMany(data, n, idx);
  }
  const norms = codewordNorms64(codebook, k, dim);
  nearestRange(data, 0, n, codebook, norms, k, dim, idx);
  return idx;
}

let gridEnabled = true;
/** Switch the 2-D cell-list path of `nearestCodewords` on or off (tests and benches). */
export function setGridSearch(enabled: boolean): void {
  gridEnabled = enabled;
}

/** Use the WebAssembly SIMD scan when available (tests and benches may switch it off). */
let wasmEnabled = true;
/** Below this many row×codeword pairs per call the JS kernel is used (setup cost). */
let wasmMinWork = 256;
export function setWasmSearch(enabled: boolean, minWork = 256): void {
  wasmEnabled = enabled;
  wasmMinWork = minWork;
}

/** How rows the float32 scan cannot certify are rechecked (see nearestRange). */
export type RecheckMode = 'candidates' | 'full';
let recheckMode: RecheckMode = 'candidates';
/**
 * For benchmarks and tests: 'candidates' (default) rechecks only the codewords whose float32
 * score is within the bound of the best; 'full' is the earlier scheme (a coarser margin from the
 * largest norm, then a float64 rescan of all k codewords). Both return the naive indices.
 */
export function setSearchRecheck(mode: RecheckMode): void {
  recheckMode = mode;
}

/** Counters of the float32 path since the last reset (benchmarks). */
export interface SearchStats {
  /** Rows scanned by the float32 SIMD scan. */
  rows: number;
  /** Rows whose winner the float32 certificate did not settle. */
  uncertain: number;
  /** Codewords evaluated exactly (float64, naive distance) on the candidate lists. */
  candidates: number;
  /** Rows whose candidate list overflowed its capacity, or with non-finite scores: full rescan. */
  fullRescans: number;
  /** Rows scanned on vectors shifted by the codebook mean. */
  shifted: number;
}
export const searchStats: SearchStats = { rows: 0, uncertain: 0, candidates: 0, fullRescans: 0, shifted: 0 };
export function resetSearchStats(): void {
  searchStats.rows = searchStats.uncertain = searchStats.candidates = searchStats.fullRescans = searchStats.shifted = 0;
}

const F32_BITS = new Float32Array(1);
const U32_BITS = new Uint32Array(F32_BITS.buffer);
/** The smallest float32 ≥ v (v finite). */
function float32AtLeast(v: number): number {
  const f = Math.fround(v);
  if (f >= v) return f;
  F32_BITS[0] = f;
  if (f > 0) U32_BITS[0]++;
  else if (f < 0) U32_BITS[0]--;
  else U32_BITS[0] = 1; // ±0 < v: the smallest subnormal
  return F32_BITS[0];
}

/**
 * Kernel over rows [r0, r1) with precomputed float64 norms; writes idx[r]. Exported for the
 * worker pool, which shares `norms` across calls. Uses the WebAssembly SIMD scan
 * (search-wasm.ts) with a float32 certificate, else the float64 JS kernel; both give exactly the
 * naive reference's indices.
 *
 * Certificate of the float32 scan. Let f_j = ‖c_j‖² − 2x·c_j = d_j − ‖x‖² (d_j the exact squared
 * distance) and f̂_j the scan's float32 score. Every term of f̂_j goes through m rounding steps
 * (scanRoundingSteps), so (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
 * Lemma 3.1 and eq. (3.4)), with u = 2⁻²⁴, γ_m = mu/(1 − mu) and Cauchy–Schwarz
 * Σ|2x_i c_ji| ≤ 2‖x‖‖c_j‖:
 *   |f̂_j − f_j| ≤ δ_j = γ_m·(‖c_j‖² + 2‖x‖‖c_j‖) + η,
 * η = 2⁻¹⁴⁰ covering underflow (≤ 2⁻¹⁵⁰ per rounded product or norm, at most 65 of them).
 * Shifted scan (wasmScan centres x and c on μ ≈ the codebook mean when that shrinks the norms,
 * e.g. the first MSVQ stage, where ‖c‖² is ~20× the spread): the scan sees x′ = fl32(x − μ),
 * c′ = fl32(c − μ), each component within ũ = u′/(1 − u′) of |x′_i| (|c′_i|) of the exact
 * difference, u′ = u(1 + 2⁻²⁸) for the float64-then-float32 double rounding, plus 2⁻¹⁵⁰ on
 * underflow. With ε_j = ũ(‖x′‖ + ‖c′_j‖) + 2⁻¹⁴⁵ ≥ ‖(x′ − c′_j) − (x − c_j)‖ and
 * √d′_j ≤ ‖x′‖ + ‖c′_j‖: |d′_j − d_j| ≤ (2(‖x′‖ + ‖c′_j‖) + ε_j)·ε_j, which is added to δ_j
 * (taken with x′, c′). The scores then estimate d_j − ‖x′‖², a per-row constant.
 * The naive float64 distance d̃_j of the reference has |d̃_j − d_j| ≤ γ⁶⁴_{D+3}·d_j ≤ ν_j =
 * 2⁻⁴⁵(‖x‖² + ‖c_j‖²) (D ≤ 64; d_j ≤ 2‖x‖² + 2‖c_j‖²). Let i₁ be the scan's winner and b₁ = f̂_{i₁}.
 * Every j with f̂_j > T = b₁ + e(i₁) + e_max, e(j) = δ_j + ν_j (δ and ν increase with the norm,
 * so e_max uses the largest ones), has d̃_j > d̃_{i₁}, so it can neither win nor tie in the naive
 * search. So the naive winner is the lowest index of minimal d̃ among the candidates
 * {j : f̂_j ≤ T}. If the runner-up score exceeds T that set is {i₁} (certified). Otherwise the
 * candidate pass of the scan lists the blocks with a score ≤ T (T rounded up to float32; its
 * scores take no more rounding steps than the scan's, so the same δ_j bounds them), and
 * only those codewords are measured with the naive distance in index order; when the list
 * overflows, all k are. The constants get a relative headroom of 2⁻¹⁶, which covers the float64
 * rounding of T itself. Rows with ‖x‖² ≥ 1e30 or non-finite values (scores may overflow
 * float32) go to the float64 kernel.
 */
export function nearestRange(
  data: Float32Array,
  r0: number,
  r1: number,
  codebook: Float32Array,
  norms: Float64Array,
  k: number,
  dim: number,
  idx: Int32Array,
  idxOffset = 0,
): void {
  let maxNorm = 0;
  for (let j = 0; j < k; j++) if (norms[j] > maxNorm) maxNorm = norms[j];
  // Float32 scores overflow near 3e38: keep huge inputs on the float64 path.
  if (wasmEnabled && (r1 - r0) * k >= wasmMinWork && maxNorm < 1e30 && dim <= 64) {
    if (recheckMode === 'full') {
      if (scanWithFullRecheck(data, r0, r1, codebook, norms, k, dim, idx, idxOffset, maxNorm)) return;
    } else {
      const u = 5.960464477539063e-8; // 2⁻²⁴
      const m = scanRoundingSteps(dim);
      const g = ((m * u) / (1 - m * u)) * (1 + 2 ** -16);
      const eta = 2 ** -140;
      const nu = 2 ** -45 * (1 + 2 ** -16);
      const u1 = u * (1 + 2 ** -28);
      const uShift = (u1 / (1 - u1)) * (1 + 2 ** -16);
      let sqrtMaxScan = 0;
      let maxScan = -1;
      const done = wasmScan(data, r0, r1, codebook, norms, k, dim, (row, f, i, base, pass) => {
        searchStats.rows++;
        const bl = bestLane(f, base);
        const b1 = f[base + bl];
        const second = runnerUpScore(f, base, bl);
        const xo = row * dim;
        const xx = rowNormSq(data, xo, dim);
        const i1 = i[base + 8 + bl];
        // δ′ in the scan's (possibly shifted) coordinates, ν in the original ones.
        if (maxScan !== pass.maxNorm) {
          maxScan = pass.maxNorm;
          sqrtMaxScan = Math.sqrt(maxScan);
        }
        if (pass.shifted) searchStats.shifted++;
        const xs = pass.shifted ? pass.rowNorm(row) : xx;
        const r = Math.sqrt(xs);
        const n1 = pass.norms[i1];
        const s1 = Math.sqrt(n1);
        let margin =
          g * (n1 + 2 * r * s1 + maxScan + 2 * r * sqrtMaxScan) + 2 * eta + nu * (2 * xx + norms[i1] + maxNorm);
        if (pass.shifted) {
          const e1 = uShift * (r + s1) + 2 ** -145;
          const eM = uShift * (r + sqrtMaxScan) + 2 ** -145;
          margin += (2 * (r + s1) + e1) * e1 + (2 * (r + sqrtMaxScan) + eM) * eM;
        }
        const out = idxOffset + row;
        if (!(xx < 1e30 && b1 > -Infinity && b1 < Infinity && margin < Infinity)) {
          searchStats.uncertain++;
          searchStats.fullRescans++;
          nearestRangeJs(data, row, row + 1, codebook, norms, k, dim, idx, idxOffset, maxNorm);
          return;
        }
        if (second - b1 > margin) {
          idx[out] = i1;
          return;
        }
        searchStats.uncertain++;
        const count = pass.collect(row, float32AtLeast(b1 + margin));
        if (count > pass.cap) {
          searchStats.fullRescans++;
          idx[out] = naiveArgmin(data, xo, codebook, k, dim);
          return;
        }
        // Candidates in increasing index order; strict < keeps the lowest index on ties.
        let best = i1;
        let bestD = naiveDistance(data, xo, codebook, i1 * dim, dim);
        const list = pass.list;
        for (let e = 0; e < count; e++) {
          const entry = list[e];
          const j0 = (entry >> 4) * 4;
          for (let l = 0; l < 4; l++) {
            const j = j0 + l;
            if ((entry & (1 << l)) === 0 || j === i1) continue;
            searchStats.candidates++;
            const d = naiveDistance(data, xo, codebook, j * dim, dim);
            if (d < bestD || (d === bestD && j < best)) {
              bestD = d;
              best = j;
            }
          }
        }
        idx[out] = best;
      }, true);
      if (done) return;
    }
  }
  nearestRangeJs(data, r0, r1, codebook, norms, k, dim, idx, idxOffset, maxNorm);
}

/** Lane (0…3) holding the row's best float32 score in a SIMD scan result at `base`. */
function bestLane(f: Float32Array, base: number): number {
  let bl = 0;
  let b1 = f[base];
  for (let l = 1; l < 4; l++) if (f[base + l] < b1) { b1 = f[base + l]; bl = l; }
  return bl;
}

/** Smallest score other than the winner's: the other lanes' bests and every lane's runner-up. */
function runnerUpScore(f: Float32Array, base: number, bl: number): number {
  let second = Infinity;
  for (let l = 0; l < 4; l++) {
    if (l !== bl && f[base + l] < second) second = f[base + l];
    if (f[base + 4 + l] < second) second = f[base + 4 + l];
  }
  return second;
}

/** ‖x‖² of one row, summed in index order. */
function rowNormSq(data: Float32Array, xo: number, dim: number): number {
  let xx = 0;
  for (let t = 0; t < dim; t++) xx += data[xo + t] * data[xo + t];
  return xx;
}

/** The earlier recheck ('full'): coarse margin from the largest norm, float64 rescan of all k. */
function scanWithFullRecheck(
  data: Float32Array,
  r0: number,
  r1: number,
  codebook: Float32Array,
  norms: Float64Array,
  k: number,
  dim: number,
  idx: Int32Array,
  idxOffset: number,
  maxNorm: number,
): boolean {
  // |f32 score − exact| ≤ (D/2 + 4)·2⁻²⁴·(2‖c‖² + ‖x‖²) for this summation order; the margin
  // below is 2δ with δ taken 4× larger than that bound.
  const kappa32 = (2 * dim + 4) * 5.960464477539063e-8;
  return wasmScan(data, r0, r1, codebook, norms, k, dim, (row, f, i, base) => {
    searchStats.rows++;
    const bl = bestLane(f, base);
    const b1 = f[base + bl];
    const second = runnerUpScore(f, base, bl);
    const xo = row * dim;
    const xx = rowNormSq(data, xo, dim);
    const margin = 2 * kappa32 * (2 * maxNorm + xx);
    if (b1 > -Infinity && second - b1 > margin) idx[idxOffset + row] = i[base + 8 + bl];
    else {
      searchStats.uncertain++;
      searchStats.fullRescans++;
      nearestRangeJs(data, row, row + 1, codebook, norms, k, dim, idx, idxOffset, maxNorm);
    }
  });
}

/** The float64 JS kernel (certified by a float64 margin, naive rescan on near-ties). */
export function nearestRangeJs(
  data: Float32Array,
  r0: number,
  r1: number,
  codebook: Float32Array,
  norms: Float64Array,
  k: number,
  dim: number,
  idx: Int32Array,
  idxOffset: number,
  maxNorm: number,
): void {
  const kappa = (8 * dim + 32) * 2.220446049250313e-16;
  if (dim === 16) {
    nearest16(data, r0, r1, codebook, norms, k, idx, idxOffset, maxNorm, kappa);
    return;
  }
  for (let r = r0; r < r1; r++) {
    const xo = r * dim;
    const xx = rowNormSq(data, xo, dim);
    let b1 = Infinity;
    let b2 = Infinity;
    let i1 = 0;
    const d4 = dim & ~3;
    for (let j = 0, co = 0; j < k; j++, co += dim) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i < d4; i += 4) {
        s0 += data[xo + i] * codebook[co + i];
        s1 += data[xo + i + 1] * codebook[co + i + 1];
        s2 += data[xo + i + 2] * codebook[co + i + 2];
        s3 += data[xo + i + 3] * codebook[co + i + 3];
      }
      for (; i < dim; i++) s0 += data[xo + i] * codebook[co + i];
      const f = norms[j] - 2 * (s0 + s1 + s2 + s3);
      if (f < b2) {
        if (f < b1) {
          b2 = b1;
          b1 = f;
          i1 = j;
        } else {
          b2 = f;
        }
      }
    }
    // Certain winner unless the runner-up is within the rounding margin (or non-finite input).
    const margin = 2 * kappa * (xx + maxNorm);
    idx[idxOffset + r] = b2 - b1 > margin ? i1 : naiveArgmin(data, xo, codebook, k, dim);
  }
}

/** D = 16 fully unrolled: the envelope dimension of the codec (16 bands). */
function nearest16(
  data: Float32Array,
  r0: number,
  r1: number,
  cb: Float32Array,
  norms: Float64Array,
  k: number,
  idx: Int32Array,
  idxOffset: number,
  maxNorm: number,
  kappa: number,
): void {
  for (let r = r0; r < r1; r++) {
    const xo = r * 16;
    // −2x folded in so the inner loop is a plain multiply-add.
    const x0 = -2 * data[xo], x1 = -2 * data[xo + 1], x2 = -2 * data[xo + 2], x3 = -2 * data[xo + 3];
    const x4 = -2 * data[xo + 4], x5 = -2 * data[xo + 5], x6 = -2 * data[xo + 6], x7 = -2 * data[xo + 7];
    const x8 = -2 * data[xo + 8], x9 = -2 * data[xo + 9], x10 = -2 * data[xo + 10], x11 = -2 * data[xo + 11];
    const x12 = -2 * data[xo + 12], x13 = -2 * data[xo + 13], x14 = -2 * data[xo + 14], x15 = -2 * data[xo + 15];
    const xx =
      (x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3 + x4 * x4 + x5 * x5 + x6 * x6 + x7 * x7 +
        x8 * x8 + x9 * x9 + x10 * x10 + x11 * x11 + x12 * x12 + x13 * x13 + x14 * x14 + x15 * x15) * 0.25;
    let b1 = Infinity;
    let b2 = Infinity;
    let i1 = 0;
    for (let j = 0, co = 0; j < k; j++, co += 16) {
      const f =
        norms[j] +
        (x0 * cb[co] + x1 * cb[co + 1] + x2 * cb[co + 2] + x3 * cb[co + 3]) +
        (x4 * cb[co + 4] + x5 * cb[co + 5] + x6 * cb[co + 6] + x7 * cb[co + 7]) +
        (x8 * cb[co + 8] + x9 * cb[co + 9] + x10 * cb[co + 10] + x11 * cb[co + 11]) +
        (x12 * cb[co + 12] + x13 * cb[co + 13] + x14 * cb[co + 14] + x15 * cb[co + 15]);
      if (f < b2) {
        if (f < b1) {
          b2 = b1;
          b1 = f;
          i1 = j;
        } else {
          b2 = f;
        }
      }
    }
    const margin = 2 * kappa * (xx + maxNorm);
    idx[idxOffset + r] = b2 - b1 > margin ? i1 : naiveArgmin(data, xo, cb, k, 16);
  }
}
