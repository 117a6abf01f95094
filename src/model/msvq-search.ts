/**
 * Nearest-codeword search for ONE vector at a time, as the streaming encoder needs it (the
 * batch kernel in src/vq/search.ts is built for training batches).
 *
 * The codebook is rotated once into its principal-component basis (Jacobi eigen-decomposition
 * of its scatter matrix, components by decreasing variance) and sorted by the first component.
 * A query x is rotated the same way; the scan walks outward from x'₀ along that order and
 *   - stops in a direction once (x'₀ − c'₀)² exceeds the best squared distance so far
 *     (|x'₀ − c'₀| ≤ ‖x' − c'‖), and
 *   - abandons a candidate as soon as its partial sum over the leading components exceeds the
 *     best (partial distance elimination; the leading components carry most of the energy).
 * Distances are rotation invariant, so this is the nearest codeword up to the rounding of the
 * rotation (float64; measured faster than a float32 copy, which V8 must widen per load): only
 * near-exact ties can resolve differently from a naive search, and always the same way.
 * Ties at equal computed distance → lowest codeword index.
 */

export class NearestSearcher {
  readonly k: number;
  readonly dim: number;
  /** Rotation: row d holds the d-th principal axis. */
  private readonly axes: Float64Array;
  /** Rotated codewords in scan order, row-major. */
  private readonly rotated: Float64Array;
  /** Scan position → codeword index. */
  private readonly order: Int32Array;
  /** Codeword index → scan position. */
  private readonly position: Int32Array;
  private readonly first: Float64Array;
  private readonly xr: Float64Array;

  constructor(codebook: Float32Array, k: number, dim: number) {
    if (codebook.length !== k * dim || k < 1 || dim < 1) throw new RangeError(`NearestSearcher: codebook is not ${k}×${dim}`);
    this.k = k;
    this.dim = dim;
    this.axes = principalAxes(codebook, k, dim);
    const rot = new Float64Array(k * dim);
    for (let c = 0; c < k; c++) rotate(this.axes, dim, codebook, c * dim, rot, c * dim);
    const idx = Array.from({ length: k }, (_, i) => i).sort((a, b) => rot[a * dim] - rot[b * dim] || a - b);
    this.order = Int32Array.from(idx);
    this.position = new Int32Array(k);
    for (let i = 0; i < k; i++) this.position[idx[i]] = i;
    this.rotated = new Float64Array(k * dim);
    this.first = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      this.rotated.set(rot.subarray(idx[i] * dim, idx[i] * dim + dim), i * dim);
      this.first[i] = rot[idx[i] * dim];
    }
    this.xr = new Float64Array(dim);
  }

  /**
   * Index of the codeword nearest to x (squared Euclidean). `hint` (optional) is a codeword that
   * is probably close, e.g. the previous frame's choice: it only seeds the best distance, so it
   * narrows the scan window without changing the result.
   */
  nearest(x: ArrayLike<number>, hint = -1): number {
    const { dim, k, first, rotated, order, xr } = this;
    rotate(this.axes, dim, x, 0, xr, 0);
    const x0 = xr[0];
    if (!Number.isFinite(x0)) return 0;
    if (dim === 16) return this.nearest16(x0, hint >= 0 && hint < k ? this.position[hint] : -1);
    let lo = 0;
    let hi = k;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (first[mid] < x0) lo = mid + 1;
      else hi = mid;
    }
    let best = Infinity;
    let bestIdx = 0;
    let up = lo;
    let down = lo - 1;
    while (up < k || down >= 0) {
      const gu = up < k ? first[up] - x0 : Infinity;
      const gd = down >= 0 ? x0 - first[down] : Infinity;
      const useUp = gu <= gd;
      const g = useUp ? gu : gd;
      // Both sides are now at least this far along the first axis: nothing left can win
      // (the slack keeps rounding from pruning an exact tie).
      if (g * g > best * (1 + 1e-12)) break;
      const i = useUp ? up++ : down--;
      const o = i * dim;
      let dist = 0;
      let d = 0;
      for (; d < dim; d++) {
        const t = xr[d] - rotated[o + d];
        dist += t * t;
        if ((d & 1) === 1 && dist > best) break;
      }
      if (d < dim) continue;
      const ci = order[i];
      if (dist < best || (dist === best && ci < bestIdx)) {
        best = dist;
        bestIdx = ci;
      }
    }
    return bestIdx;
  }

  /**
   * dim = 16 (the codec's envelope): the same search in two passes. First the PROBE codewords
   * closest along the first axis give a good initial best; then every codeword whose first
   * coordinate lies within √best of x'₀ (the only ones that can win) is scanned linearly with
   * partial distances checked every 4 components. Same result as the generic loop.
   */
  private nearest16(x0: number, seed: number): number {
    const { k, first } = this;
    const centre = lowerBound(first, x0);
    const p0 = Math.max(0, centre - (PROBE >> 1));
    const p1 = Math.min(k, p0 + PROBE);
    this.best = Infinity;
    this.bestIdx = 0;
    if (seed >= 0) this.scan16(seed, seed + 1);
    this.scan16(p0, p1);
    // Only codewords with (x'₀ − c'₀)² ≤ best can win (slack: rounding must not exclude a tie).
    const r = Math.sqrt(this.best * (1 + 1e-12)) * (1 + 1e-12);
    const w0 = lowerBound(first, x0 - r);
    let w1 = lowerBound(first, x0 + r);
    while (w1 < k && first[w1] <= x0 + r) w1++;
    if (w0 < p0) this.scan16(w0, p0);
    if (p1 < w1) this.scan16(p1, w1);
    return this.bestIdx;
  }

  private best = Infinity;
  private bestIdx = 0;

  /**
   * Scan positions [from, to) for dim = 16 with partial distances checked every 4 components.
   * A method with everything in locals (not a closure over mutable variables, which V8 keeps in
   * a heap context and reloads on every access): measured several times faster.
   */
  private scan16(from: number, to: number): void {
    const { rotated: c, order, xr } = this;
    const x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5], x6 = xr[6], x7 = xr[7];
    const x8 = xr[8], x9 = xr[9], x10 = xr[10], x11 = xr[11], x12 = xr[12], x13 = xr[13], x14 = xr[14], x15 = xr[15];
    let best = this.best;
    let bestIdx = this.bestIdx;
    for (let i = from; i < to; i++) {
      const o = i << 4;
      let t = x0 - c[o];
      let d = t * t;
      t = x1 - c[o + 1]; d += t * t;
      t = x2 - c[o + 2]; d += t * t;
      t = x3 - c[o + 3]; d += t * t;
      if (d > best) continue;
      t = x4 - c[o + 4]; d += t * t;
      t = x5 - c[o + 5]; d += t * t;
      t = x6 - c[o + 6]; d += t * t;
      t = x7 - c[o + 7]; d += t * t;
      if (d > best) continue;
      t = x8 - c[o + 8]; d += t * t;
      t = x9 - c[o + 9]; d += t * t;
      t = x10 - c[o + 10]; d += t * t;
      t = x11 - c[o + 11]; d += t * t;
      if (d > best) continue;
      t = x12 - c[o + 12]; d += t * t;
      t = x13 - c[o + 13]; d += t * t;
      t = x14 - c[o + 14]; d += t * t;
      t = x15 - c[o + 15]; d += t * t;
      const ci = order[i];
      if (d < best || (d === best && ci < bestIdx)) {
        best = d;
        bestIdx = ci;
      }
    }
    this.best = best;
    this.bestIdx = bestIdx;
  }
}

/** Codewords scanned first (nearest along the first axis) to seed the best distance. */
const PROBE = 64;

/** First position in the ascending array `a` whose value is ≥ v. */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function rotate(axes: Float64Array, dim: number, src: ArrayLike<number>, so: number, dst: Float64Array, dOff: number): void {
  for (let a = 0; a < dim; a++) {
    let s = 0;
    const ao = a * dim;
    for (let d = 0; d < dim; d++) s += axes[ao + d] * src[so + d];
    dst[dOff + a] = s;
  }
}

/**
 * Eigenvectors of the codebook's scatter matrix by cyclic Jacobi rotations (deterministic),
 * returned as rows ordered by decreasing eigenvalue.
 */
function principalAxes(codebook: Float32Array, k: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let c = 0; c < k; c++) for (let d = 0; d < dim; d++) mean[d] += codebook[c * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= k;
  const a = new Float64Array(dim * dim);
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < dim; p++) {
      const vp = codebook[c * dim + p] - mean[p];
      for (let q = 0; q < dim; q++) a[p * dim + q] += vp * (codebook[c * dim + q] - mean[q]);
    }
  }
  const v = new Float64Array(dim * dim);
  for (let d = 0; d < dim; d++) v[d * dim + d] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += a[p * dim + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < dim; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = a[p * dim + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * dim + q] - a[p * dim + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < dim; r++) {
          const arp = a[r * dim + p];
          const arq = a[r * dim + q];
          a[r * dim + p] = c * arp - s * arq;
          a[r * dim + q] = s * arp + c * arq;
        }
        for (let r = 0; r < dim; r++) {
          const apr = a[p * dim + r];
          const aqr = a[q * dim + r];
          a[p * dim + r] = c * apr - s * aqr;
          a[q * dim + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < dim; r++) {
          const vrp = v[r * dim + p];
          const vrq = v[r * dim + q];
          v[r * dim + p] = c * vrp - s * vrq;
          v[r * dim + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const eig = Array.from({ length: dim }, (_, d) => d).sort((x, y) => a[y * dim + y] - a[x * dim + x] || x - y);
  const axes = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) for (let d = 0; d < dim; d++) axes[r * dim + d] = v[d * dim + eig[r]];
  return axes;
}
