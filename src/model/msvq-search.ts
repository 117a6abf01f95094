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
 *
 * For dim = 16 and an even codebook size the window scan runs in a generated WebAssembly SIMD
 * kernel (scan16Wasm below) that computes two codewords per f64x2 vector with exactly the JS
 * arithmetic per lane (t = x − c, d += t·t, no fused multiply-add), so it returns the same index;
 * without SIMD support the JS scan is used.
 */
import { OP, SIMD, SIMD_PREFIX, VAL, VOID_BLOCK, buildWasmModule, instantiateWasm, sleb, uleb, type WasmMemory } from '../util/wasm-module-builder.js';

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

  /**
   * `axes` (optional): this codebook's principalAxes(), precomputed (shipped-search-axes.ts):
   * building them is most of a cold start's set-up. Any rotation gives a correct search; only
   * exactly these axes give the same rounding, hence the same index on near-exact ties.
   */
  constructor(codebook: Float32Array, k: number, dim: number, axes?: Float64Array) {
    if (codebook.length !== k * dim || k < 1 || dim < 1) throw new RangeError(`NearestSearcher: codebook is not ${k}×${dim}`);
    if (axes !== undefined && axes.length !== dim * dim) throw new RangeError(`NearestSearcher: axes are not ${dim}×${dim}`);
    this.k = k;
    this.dim = dim;
    this.axes = axes ?? principalAxes(codebook, k, dim);
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
    this.kernel = dim === 16 && k % 2 === 0 ? Scan16Kernel.create(this.rotated, this.order, k) : null;
  }

  /** The WebAssembly window scan, or null (odd k, dim ≠ 16, or no SIMD in this runtime). */
  private kernel: Scan16Kernel | null;

  /** Whether this searcher scans with the WebAssembly kernel (for tests and benches). */
  get usesWasm(): boolean {
    return this.kernel !== null;
  }

  /** Force the JS scan (tests compare both paths). */
  disableWasm(): void {
    this.kernel = null;
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
    if (this.kernel !== null) return this.kernel.nearest(this.xr, first, seed, k);
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
export function principalAxes(codebook: Float32Array, k: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let c = 0; c < k; c++) for (let d = 0; d < dim; d++) mean[d] += codebook[c * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= k;
  // Upper triangle, mirrored: vp·vq and vq·vp are the same IEEE product, so the matrix is the
  // full double loop's bit for bit at half the work (start-up, issue 15).
  const a = new Float64Array(dim * dim);
  const v0 = new Float64Array(dim);
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < dim; d++) v0[d] = codebook[c * dim + d] - mean[d];
    for (let p = 0; p < dim; p++) {
      const vp = v0[p];
      for (let q = p; q < dim; q++) a[p * dim + q] += vp * v0[q];
    }
  }
  for (let p = 0; p < dim; p++) for (let q = 0; q < p; q++) a[p * dim + q] = a[q * dim + p];
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

// ---------------------------------------------------------------------------------------------
// WebAssembly SIMD window scan for dim = 16

/** SIMD opcodes beyond the shared builder's list (WebAssembly SIMD spec, binary encoding). */
const SIMD_EXTRA = { load64Splat: 0x0a, f64x2Splat: 0x14, f64x2Gt: 0x4a, i64x2AllTrue: 0xc3, f64x2Sub: 0xf1 } as const;
/** Core opcodes beyond the shared builder's list (spec §5.4). */
const OPX = {
  else: 0x05, i32Load: 0x28, f64Load: 0x2b, i32Store: 0x36, f64Eq: 0x61, f64Lt: 0x63, i32LtS: 0x48, i32And: 0x71, i32Or: 0x72,
} as const;
/** Bytes of one block: 2 codewords × 16 components × f64, lane-interleaved per component. */
const BLOCK_BYTES = 256;

/**
 * Module for a codebook of k (even) codewords. Memory: blocks [0, k/2) at 0 (block b, component
 * d: lanes c_{2b,d}, c_{2b+1,d}) and one padding block of NaN (a NaN distance never wins nor
 * prunes), then the codeword index per scan position (i32), the query (16 f64), the best
 * distance (f64) and its index (i32). Export scan(b0, b1) scans blocks [b0, b1) two at a time
 * (four codewords: two independent addition chains), possibly one block past b1 (harmless: any
 * extra codeword is a real one or the padding), and updates best / index in memory.
 */
function buildScan16Module(k: number): { bytes: Uint8Array; orderAt: number; queryAt: number; bestAt: number; indexAt: number } {
  const orderAt = (k / 2 + 1) * BLOCK_BYTES;
  const queryAt = orderAt + 8 * Math.ceil((4 * (k + 2)) / 8);
  const bestAt = queryAt + 16 * 8;
  const indexAt = bestAt + 8;
  const pages = Math.ceil((indexAt + 8) / 65536);
  const c: number[] = [];
  const simd = (op: number, ...imm: number[]): void => void c.push(SIMD_PREFIX, ...uleb(op), ...imm);
  const get = (l: number): void => void c.push(OP.localGet, ...uleb(l));
  const set = (l: number): void => void c.push(OP.localSet, ...uleb(l));
  const i32 = (v: number): void => void c.push(OP.i32Const, ...sleb(v));
  // params: 0 b0 (block counter), 1 b1; locals: 2 p (byte offset), 3 bestIdx, 4 ci, 5 best, 6 d,
  // 7..22 X_d (query splats), 23 acc, 24 t, 25 B (best splat), 26 acc2, 27 t2.
  const B0 = 0, B1 = 1, P = 2, BI = 3, CI = 4, BEST = 5, D = 6, X = 7, ACC = 23, T = 24, BV = 25, ACC2 = 26, T2 = 27;
  // Prologue: load best / index, splat the query.
  i32(0); c.push(OPX.f64Load, 3, ...uleb(bestAt)); set(BEST);
  i32(0); c.push(OPX.i32Load, 2, ...uleb(indexAt)); set(BI);
  for (let d = 0; d < 16; d++) {
    i32(0); simd(SIMD_EXTRA.load64Splat, 3, ...uleb(queryAt + 8 * d)); set(X + d);
  }
  get(BEST); simd(SIMD_EXTRA.f64x2Splat); set(BV);
  get(B0); get(B1); c.push(OP.i32GeU, OP.if, VOID_BLOCK, 0x0f /* return */, OP.end);
  get(B0); i32(BLOCK_BYTES); c.push(OP.i32Mul); set(P);
  c.push(OP.loop, VOID_BLOCK);
  c.push(OP.block, VOID_BLOCK); // br 0 here = next pair of blocks
  for (let d = 0; d < 16; d++) {
    for (const [acc, t, off] of [[ACC, T, 0], [ACC2, T2, BLOCK_BYTES]] as const) {
      get(X + d); get(P); simd(SIMD.load, 4, ...uleb(off + 16 * d)); simd(SIMD_EXTRA.f64x2Sub); set(t);
      get(t); get(t); simd(SIMD.f64x2Mul);
      if (d === 0) set(acc);
      else {
        // acc = acc + t·t (the JS order: d += t * t)
        set(t); get(acc); get(t); simd(SIMD.f64x2Add); set(acc);
      }
    }
    if (d === 3 || d === 7 || d === 11) {
      // All four codewords already beyond the best: next pair.
      get(ACC); get(BV); simd(SIMD_EXTRA.f64x2Gt); simd(SIMD_EXTRA.i64x2AllTrue);
      get(ACC2); get(BV); simd(SIMD_EXTRA.f64x2Gt); simd(SIMD_EXTRA.i64x2AllTrue);
      c.push(OPX.i32And, OP.brIf, 0);
    }
  }
  for (const [acc, lane, off] of [[ACC, 0, 0], [ACC, 1, 4], [ACC2, 0, 8], [ACC2, 1, 12]] as const) {
    get(acc); simd(SIMD.f64x2ExtractLane, lane); set(D);
    // ci = order[2b + …]; p/256·8 = 2b·4
    get(P); i32(5); c.push(0x76 /* i32.shr_u */); c.push(OPX.i32Load, 2, ...uleb(orderAt + off)); set(CI);
    // if (d < best || (d === best && ci < bestIdx))
    get(D); get(BEST); c.push(OPX.f64Lt);
    get(D); get(BEST); c.push(OPX.f64Eq); get(CI); get(BI); c.push(OPX.i32LtS); c.push(OPX.i32And);
    c.push(OPX.i32Or);
    c.push(OP.if, VOID_BLOCK);
    get(D); set(BEST); get(CI); set(BI); get(BEST); simd(SIMD_EXTRA.f64x2Splat); set(BV);
    c.push(OP.end);
  }
  c.push(OP.end); // block
  get(P); i32(2 * BLOCK_BYTES); c.push(OP.i32Add); set(P);
  get(B0); i32(2); c.push(OP.i32Add); c.push(OP.localTee, ...uleb(B0));
  get(B1); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // loop
  i32(0); get(BEST); c.push(OP.f64Store, 3, ...uleb(bestAt));
  i32(0); get(BI); c.push(OPX.i32Store, 2, ...uleb(indexAt));
  c.push(OP.end);
  const bytes = buildWasmModule({
    functions: [{ name: 'scan', params: [VAL.i32, VAL.i32], results: [], locals: [[3, VAL.i32], [2, VAL.f64], [21, VAL.v128]], code: c }],
    memoryPages: pages,
    memoryName: 'memory',
  });
  return { bytes, orderAt, queryAt, bestAt, indexAt };
}

/** One instance (own memory) of the scan module per codebook. */
class Scan16Kernel {
  private constructor(
    private readonly scan: (b0: number, b1: number) => void,
    private readonly query: Float64Array,
    private readonly best: Float64Array,
    private readonly index: Int32Array,
  ) {}

  static create(rotated: Float64Array, order: Int32Array, k: number): Scan16Kernel | null {
    const mod = buildScan16Module(k);
    const ex = instantiateWasm(mod.bytes);
    if (!ex) return null;
    const mem = ex.memory as WasmMemory;
    const blocks = new Float64Array(mem.buffer, 0, (k / 2) * 32);
    for (let b = 0; b < k / 2; b++) {
      for (let d = 0; d < 16; d++) {
        blocks[b * 32 + 2 * d] = rotated[2 * b * 16 + d];
        blocks[b * 32 + 2 * d + 1] = rotated[(2 * b + 1) * 16 + d];
      }
    }
    new Float64Array(mem.buffer, (k / 2) * BLOCK_BYTES, 32).fill(Number.NaN); // padding block
    new Int32Array(mem.buffer, mod.orderAt, k).set(order);
    return new Scan16Kernel(
      ex.scan as (b0: number, b1: number) => void,
      new Float64Array(mem.buffer, mod.queryAt, 16),
      new Float64Array(mem.buffer, mod.bestAt, 1),
      new Int32Array(mem.buffer, mod.indexAt, 1),
    );
  }

  /** nearest16 with the window scans in WebAssembly (whole blocks: extra codewords cannot win). */
  nearest(xr: Float64Array, first: Float64Array, seed: number, k: number): number {
    this.query.set(xr);
    this.best[0] = Infinity;
    this.index[0] = 0;
    const x0 = xr[0];
    const centre = lowerBound(first, x0);
    const p0 = Math.max(0, centre - (PROBE >> 1));
    const p1 = Math.min(k, p0 + PROBE);
    if (seed >= 0) this.scan(seed >> 1, (seed >> 1) + 1);
    this.scan(p0 >> 1, (p1 + 1) >> 1);
    const r = Math.sqrt(this.best[0] * (1 + 1e-12)) * (1 + 1e-12);
    const w0 = lowerBound(first, x0 - r);
    let w1 = lowerBound(first, x0 + r);
    while (w1 < k && first[w1] <= x0 + r) w1++;
    if (w0 < p0) this.scan(w0 >> 1, (p0 + 1) >> 1);
    if (p1 < w1) this.scan(p1 >> 1, (w1 + 1) >> 1);
    return this.index[0];
  }
}
