/**
 * WebAssembly SIMD scan for the nearest-codeword search (DESIGN §2 "Search kernel"). A module
 * specialised to the dimension D (fully unrolled) is generated as bytes at run time, so there is
 * no build step and no binary in the repo.
 *
 * Layout: codewords are stored in blocks of 4 (structure of arrays: for block b and component
 * i, one v128 holds c_{4b..4b+3, i}); the score of 4 codewords at once is
 *   f = ‖c‖² + Σ_i (−2x_i)·c_i        (float32, 2 partial sums per block)
 * and each of the 4 lanes tracks its best score, second-best score and best index. The caller
 * (search.ts) reduces the lanes and accepts the winner only when the runner-up is further than
 * a float32 rounding margin; otherwise it recomputes that row with the certified float64
 * kernel, so the result is still exactly the naive reference's.
 */

import {
  OP, SIMD, SIMD_PREFIX, VAL, VOID_BLOCK, buildWasmModule, ensureMemory, instantiateWasm, sleb, uleb,
  type WasmFunction, type WasmMemory,
} from '../util/wasm-module-builder.js';

/** SIMD / core opcodes used only here (WebAssembly SIMD spec, opcode table). */
const F32X4_LE = 0x45;
const I32X4_BITMASK = 0xa4;
const I32_STORE = 0x36;
const I32_OR = 0x72;

/**
 * Rounding steps every term of a scan score goes through, for partial-sum count `accs`:
 * ⌈D/A⌉ additions along its partial sum (the norm is the first term of sum 0), ⌈log₂A⌉ in the
 * pairwise combination, and one for its own rounding (product, or the float32 norm). So
 * |f̂ − f| ≤ γ_m·(‖c‖² + Σ|2x_i c_i|) with m = this (Higham, Accuracy and Stability of
 * Numerical Algorithms, 2nd ed., §3.1 Lemma 3.1 and eq. (4.3)/(3.4): a computed sum is
 * Σ t_k(1 + θ_k), |θ_k| ≤ γ_{h_k} for h_k the additions term k passes through; the product's
 * own rounding adds one factor; f32x4.add/mul are IEEE round-to-nearest, never fused).
 */
export function scanRoundingSteps(dim: number, accs = accsPerRow): number {
  const A = Math.max(1, Math.min(accs, dim));
  return Math.ceil(dim / A) + Math.ceil(Math.log2(A)) + 1;
}

/**
 * Emit the score of one block of 4 codewords for `rows` rows into ACC(q, 0), in the order the
 * rounding analysis above assumes: component i goes to partial sum i mod A (sum 0 starts from
 * the norm), then the partial sums are added pairwise. Both exported functions use this (the
 * candidate pass possibly with more partial sums, never more rounding steps).
 */
function emitBlockScore(
  c: number[], dim: number, rows: number, A: number,
  L: { cbp: number; norm: number; cv: number; xp: number; acc: (q: number, a: number) => number },
): void {
  const simd = (op: number, ...imm: number[]) => c.push(SIMD_PREFIX, ...uleb(op), ...imm);
  const get = (l: number) => c.push(OP.localGet, ...uleb(l));
  const set = (l: number) => c.push(OP.localSet, ...uleb(l));
  // −2x is read with v128.load32_splat inside the loop instead of living in locals: this keeps
  // the live v128 values ((A + 3) per row + 3) within the 16 SIMD registers of x86-64.
  const xs = (q: number, i: number) => {
    get(L.xp);
    simd(SIMD.load32Splat, 2, ...uleb(4 * (q * dim + i)));
  };
  for (let i = 0; i < dim; i++) {
    get(L.cbp); simd(SIMD.load, 4, ...uleb(16 * i)); set(L.cv);
    for (let q = 0; q < rows; q++) {
      const acc = L.acc(q, i % A);
      if (i === 0) {
        get(L.norm); get(L.cv); xs(q, 0); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add); set(acc);
      } else if (i < A) {
        get(L.cv); xs(q, i); simd(SIMD.f32x4Mul); set(acc);
      } else {
        get(acc); get(L.cv); xs(q, i); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add); set(acc);
      }
    }
  }
  for (let q = 0; q < rows; q++) {
    // pairwise combination of the partial sums into ACC(q, 0)
    for (let width = 1; width < A; width *= 2) {
      for (let a = 0; a + width < A; a += 2 * width) {
        get(L.acc(q, a)); get(L.acc(q, a + width)); simd(SIMD.f32x4Add); set(L.acc(q, a));
      }
    }
  }
}

/**
 * Build the module bytes for dimension `dim`, scanning `rows` input rows per pass (each codeword
 * block is loaded once and used for all of them). Exports:
 *  - search(data, groups, cb, norms, blocks, out) over `groups` × `rows` consecutive rows, which
 *    hold −2x; out gets 48 bytes per row (4 best scores, 4 runner-up scores, 4 best indices);
 *  - candidates(x, cb, norms, blocks, threshold, list, cap) → count: for the one row at x (−2x),
 *    every block with a lane whose score (no more rounding steps than the scan's) is ≤ threshold, as (block << 4) | lane mask, in block
 *    order; the first `cap` entries are written to list, the return value counts them all.
 */
export function buildSearchModule(dim: number, rows = 2, accs = 2): Uint8Array {
  const c: number[] = [];
  const simd = (op: number, ...imm: number[]) => c.push(SIMD_PREFIX, ...uleb(op), ...imm);
  const get = (l: number) => c.push(OP.localGet, ...uleb(l));
  const set = (l: number) => c.push(OP.localSet, ...uleb(l));
  const i32 = (v: number) => c.push(OP.i32Const, ...sleb(v));
  const v128i32 = (a: number, b: number, d: number, e: number) => {
    const buf = Buffer.alloc(16);
    buf.writeInt32LE(a, 0); buf.writeInt32LE(b, 4); buf.writeInt32LE(d, 8); buf.writeInt32LE(e, 12);
    simd(SIMD.const, ...Array.from(buf));
  };
  const v128f32 = (v: number) => {
    const buf = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) buf.writeFloatLE(v, 4 * i);
    simd(SIMD.const, ...Array.from(buf));
  };
  // params 0 data, 1 groups, 2 cb, 3 norms, 4 blocks, 5 out
  const G = 6, B = 7, CBP = 8, NP = 9, XP = 10, OPL = 11; // i32 locals
  const CI = 12, CV = 13, NORM = 14; // v128 locals
  const A = Math.max(1, Math.min(accs, dim));
  const per = A + 3;
  const ACC = (q: number, a: number) => 15 + per * q + a;
  const S = (q: number) => ACC(q, 0);
  const B1 = (q: number) => 15 + per * q + A, B2 = (q: number) => 16 + per * q + A, BI = (q: number) => 17 + per * q + A;
  const nV128 = 3 + per * rows;

  get(0); set(XP);
  get(5); set(OPL);
  i32(0); set(G);
  c.push(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  get(G); get(1); c.push(OP.i32GeU, OP.brIf, 1);
  for (let q = 0; q < rows; q++) {
    v128f32(Infinity); set(B1(q));
    v128f32(Infinity); set(B2(q));
    v128i32(0, 0, 0, 0); set(BI(q));
  }
  v128i32(0, 1, 2, 3); set(CI);
  get(2); set(CBP);
  get(3); set(NP);
  i32(0); set(B);
  c.push(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  get(B); get(4); c.push(OP.i32GeU, OP.brIf, 1);
  get(NP); simd(SIMD.load, 4, 0); set(NORM);
  // A partial sums per row (component i goes to sum i mod A) shorten the dependency chains.
  emitBlockScore(c, dim, rows, A, { cbp: CBP, norm: NORM, cv: CV, xp: XP, acc: ACC });
  for (let q = 0; q < rows; q++) {
    // b2 = pmin(b2, pmax(s, b1)); bi = s < b1 ? ci : bi; b1 = pmin(b1, s). The pseudo-min/max
    // (pmin(a, b) = b < a ? b : a) are single x86 instructions, unlike min/max; a NaN score
    // is simply never taken, as in the naive reference (NaN < d is false).
    get(B2(q)); get(S(q)); get(B1(q)); simd(SIMD.f32x4Pmax); simd(SIMD.f32x4Pmin); set(B2(q));
    get(CI); get(BI(q)); get(S(q)); get(B1(q)); simd(SIMD.f32x4Lt); simd(SIMD.bitselect); set(BI(q));
    get(B1(q)); get(S(q)); simd(SIMD.f32x4Pmin); set(B1(q));
  }
  get(CI); v128i32(4, 4, 4, 4); simd(SIMD.i32x4Add); set(CI);
  get(CBP); i32(16 * dim); c.push(OP.i32Add); set(CBP);
  get(NP); i32(16); c.push(OP.i32Add); set(NP);
  get(B); i32(1); c.push(OP.i32Add); set(B);
  c.push(OP.br, 0, OP.end, OP.end);
  for (let q = 0; q < rows; q++) {
    get(OPL); get(B1(q)); simd(SIMD.store, 4, ...uleb(48 * q));
    get(OPL); get(B2(q)); simd(SIMD.store, 4, ...uleb(48 * q + 16));
    get(OPL); get(BI(q)); simd(SIMD.store, 4, ...uleb(48 * q + 32));
  }
  get(OPL); i32(48 * rows); c.push(OP.i32Add); set(OPL);
  get(XP); i32(4 * dim * rows); c.push(OP.i32Add); set(XP);
  get(G); i32(1); c.push(OP.i32Add); set(G);
  c.push(OP.br, 0, OP.end, OP.end);
  c.push(OP.end);

  const I32 = VAL.i32;
  return buildWasmModule({
    functions: [
      {
        name: 'search',
        params: [I32, I32, I32, I32, I32, I32],
        results: [],
        locals: [[6, I32], [nV128, VAL.v128]],
        code: c,
      },
      candidatesFunction(dim, candidateAccumulators(dim, A)),
    ],
    memoryPages: 1,
    memoryName: 'mem',
  });
}

/**
 * Partial sums of the one-row candidate pass: 4 when that does not add rounding steps over the
 * scan's A (so the scan's error bound covers its scores too), else A. One row alone is
 * latency-bound, and more independent sums shorten the chain.
 */
function candidateAccumulators(dim: number, A: number): number {
  const A4 = Math.min(4, dim);
  return scanRoundingSteps(dim, A4) <= scanRoundingSteps(dim, A) ? A4 : A;
}

/** The `candidates` export (see buildSearchModule): one row, within the scan's error bound. */
function candidatesFunction(dim: number, A: number): WasmFunction {
  const c: number[] = [];
  const simd = (op: number, ...imm: number[]) => c.push(SIMD_PREFIX, ...uleb(op), ...imm);
  const get = (l: number) => c.push(OP.localGet, ...uleb(l));
  const set = (l: number) => c.push(OP.localSet, ...uleb(l));
  const i32 = (v: number) => c.push(OP.i32Const, ...sleb(v));
  // params 0 x, 1 cb, 2 norms, 3 blocks, 4 threshold (f32), 5 list, 6 cap
  const B = 7, CBP = 8, NP = 9, CNT = 10, MASK = 11; // i32 locals
  const CV = 12, NORM = 13, T = 14; // v128 locals
  const ACC = (_q: number, a: number) => 15 + a;

  get(4); simd(SIMD.f32x4Splat); set(T);
  get(1); set(CBP);
  get(2); set(NP);
  c.push(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  get(B); get(3); c.push(OP.i32GeU, OP.brIf, 1);
  get(NP); simd(SIMD.load, 4, 0); set(NORM);
  emitBlockScore(c, dim, 1, A, { cbp: CBP, norm: NORM, cv: CV, xp: 0, acc: ACC });
  // mask = lanes with score ≤ threshold (NaN scores never qualify, as in the scan)
  get(ACC(0, 0)); get(T); simd(F32X4_LE); simd(I32X4_BITMASK); c.push(OP.localTee, ...uleb(MASK));
  c.push(OP.if, VOID_BLOCK);
  get(CNT); get(6); c.push(OP.i32LtU, OP.if, VOID_BLOCK);
  get(5); get(CNT); i32(2); c.push(OP.i32Shl, OP.i32Add);
  get(B); i32(4); c.push(OP.i32Shl); get(MASK); c.push(I32_OR);
  c.push(I32_STORE, 2, 0);
  c.push(OP.end);
  get(CNT); i32(1); c.push(OP.i32Add); set(CNT);
  c.push(OP.end);
  get(CBP); i32(16 * dim); c.push(OP.i32Add); set(CBP);
  get(NP); i32(16); c.push(OP.i32Add); set(NP);
  get(B); i32(1); c.push(OP.i32Add); set(B);
  c.push(OP.br, 0, OP.end, OP.end);
  get(CNT);
  c.push(OP.end);
  const I32 = VAL.i32;
  return {
    name: 'candidates',
    params: [I32, I32, I32, I32, VAL.f32, I32, I32],
    results: [I32],
    locals: [[5, I32], [3 + A, VAL.v128]],
    code: c,
  };
}

/** Rows per pass and partial sums per row of the generated scan (see buildSearchModule). */
let rowsPerPass = 2;
let accsPerRow = 2;
/** For benchmarks: choose the number of partial sums per row (1–4). */
export function setWasmAccumulators(a: number): void {
  if (!Number.isInteger(a) || a < 1 || a > 4) throw new RangeError('accumulators must be 1…4');
  accsPerRow = a;
}
/** For benchmarks: choose how many rows the SIMD scan handles per pass (1–4). */
export function setWasmRowsPerPass(r: number): void {
  if (!Number.isInteger(r) || r < 1 || r > 4) throw new RangeError('rows per pass must be 1…4');
  rowsPerPass = r;
}

interface Instance {
  search: (data: number, n: number, cb: number, norms: number, blocks: number, out: number) => void;
  candidates: (x: number, cb: number, norms: number, blocks: number, threshold: number, list: number, cap: number) => number;
  mem: WasmMemory;
}

/** Capacity of the candidate list, in blocks of 4 codewords (see ScanPass.collect). */
let candidateCap = 256;
/** For tests and benchmarks: the candidate-list capacity in blocks (≥ 1). */
export function setCandidateCap(blocks: number): void {
  if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError('candidate cap must be an integer ≥ 1');
  candidateCap = blocks;
}

/**
 * What a visit of wasmScan can use besides the lane results. The scan may run on shifted
 * vectors x′ = fl32(x − μ), c′ = fl32(c − μ) (μ ≈ the codebook mean, see wasmScan); then its
 * scores are f̂′ ≈ ‖c′‖² − 2x′·c′, and `norms`, `maxNorm`, `rowNorm` describe x′ and c′.
 */
export interface ScanPass {
  /**
   * Second pass over one row of the current chunk: the codeword blocks with a lane whose score
   * (computed like the scan's, within the same rounding bound) is ≤ `threshold`, a float32 value. Returns how many
   * blocks qualify; the first `cap` are in `list` as (block << 4) | lane mask, in block order.
   */
  collect(row: number, threshold: number): number;
  readonly list: Int32Array;
  readonly cap: number;
  /** True when the scan ran on shifted vectors (μ ≠ 0). */
  readonly shifted: boolean;
  /** ‖c′_j‖² in float64, the norms the scan used (rounded to float32 there). */
  readonly norms: Float64Array;
  /** max_j ‖c′_j‖². */
  readonly maxNorm: number;
  /** ‖x′‖² of a row of the current chunk, float64 (exact products, one sum). */
  rowNorm(row: number): number;
}

const instances = new Map<string, Instance | null>();

/** Largest dimension served by the SIMD path (locals are one v128 per component). */
export const WASM_MAX_DIM = 64;

function instanceFor(dim: number): Instance | null {
  if (dim > WASM_MAX_DIM) return null;
  const key = `${dim}x${rowsPerPass}x${accsPerRow}`;
  let inst = instances.get(key);
  if (inst === undefined) {
    const exports = instantiateWasm(buildSearchModule(dim, rowsPerPass, accsPerRow));
    // null: no WebAssembly SIMD in this runtime, callers use the JS kernel
    inst = exports && {
      search: exports.search as Instance['search'],
      candidates: exports.candidates as Instance['candidates'],
      mem: exports.mem as WasmMemory,
    };
    instances.set(key, inst);
  }
  return inst;
}

export function wasmSearchAvailable(dim = 16): boolean {
  return instanceFor(dim) !== null;
}

/**
 * The shift μ for a centred scan: the codebook mean rounded to float32, when its squared norm
 * exceeds the mean squared distance of the codewords from it (mean ‖c‖² = ‖μ‖² + mean ‖c − μ‖²),
 * i.e. when centring shrinks the norms the float32 error scales with; else null (no shift).
 */
function codebookShift(codebook: Float32Array, norms: Float64Array, k: number, dim: number): Float32Array | null {
  const mu = new Float64Array(dim);
  let meanNorm = 0;
  for (let j = 0; j < k; j++) {
    meanNorm += norms[j];
    for (let i = 0; i < dim; i++) mu[i] += codebook[j * dim + i];
  }
  let muNorm = 0;
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    out[i] = mu[i] / k;
    muNorm += out[i] * out[i];
  }
  meanNorm /= k;
  return Number.isFinite(muNorm) && Number.isFinite(meanNorm) && 2 * muNorm > meanNorm ? out : null;
}

/** Rows per wasm call, bounding the scratch memory. */
const CHUNK = 8192;

/**
 * Lane results of the SIMD scan for rows [r0, r1): per row 4 best scores, 4 runner-up scores,
 * 4 best indices (float32 scores f = ‖c‖² − 2x·c). `visit(row, f32, i32, base, pass)` reads them
 * at base (b1 at +0…3, b2 at +4…7, indices at +8…11) and may run the candidate pass on that row
 * (only during the visit: the chunk's −2x is overwritten afterwards). Returns false if the SIMD path is unavailable for this dimension.
 */
export function wasmScan(
  data: Float32Array,
  r0: number,
  r1: number,
  codebook: Float32Array,
  norms: Float64Array,
  k: number,
  dim: number,
  visit: (row: number, f32: Float32Array, i32: Int32Array, base: number, pass: ScanPass) => void,
  center = false,
): boolean {
  const inst = instanceFor(dim);
  if (!inst) return false;
  const blocks = (k + 3) >> 2;
  const cbBytes = blocks * dim * 16;
  const normBytes = blocks * 16;
  const R = rowsPerPass;
  const rows = Math.ceil(Math.min(CHUNK, r1 - r0) / R) * R; // whole passes; padding rows are ignored
  const cap = candidateCap;
  const need = cbBytes + normBytes + rows * dim * 4 + rows * 48 + cap * 4;
  ensureMemory(inst.mem, need);
  const buf = inst.mem.buffer;
  const cbView = new Float32Array(buf, 0, blocks * dim * 4);
  const normView = new Float32Array(buf, cbBytes, blocks * 4);
  const shift = center ? codebookShift(codebook, norms, k, dim) : null;
  const scanNorms = shift ? new Float64Array(k) : norms;
  let maxNorm = 0;
  // Transpose into blocks of 4; padding lanes get score +∞ and are never chosen.
  for (let b = 0; b < blocks; b++) {
    for (let l = 0; l < 4; l++) {
      const j = 4 * b + l;
      if (j < k) {
        if (shift) {
          let n = 0;
          for (let i = 0; i < dim; i++) {
            const v = Math.fround(codebook[j * dim + i] - shift[i]);
            cbView[(b * dim + i) * 4 + l] = v;
            n += v * v;
          }
          scanNorms[j] = n;
        } else {
          for (let i = 0; i < dim; i++) cbView[(b * dim + i) * 4 + l] = codebook[j * dim + i];
        }
        normView[4 * b + l] = scanNorms[j];
        if (scanNorms[j] > maxNorm) maxNorm = scanNorms[j];
      } else {
        normView[4 * b + l] = Infinity;
        for (let i = 0; i < dim; i++) cbView[(b * dim + i) * 4 + l] = 0;
      }
    }
  }
  const dataOff = cbBytes + normBytes;
  const outOff = dataOff + rows * dim * 4;
  const dataView = new Float32Array(buf, dataOff, rows * dim);
  const outF = new Float32Array(buf, outOff, rows * 12);
  const outI = new Int32Array(buf, outOff, rows * 12);
  const listOff = outOff + rows * 48;
  let chunkStart = r0;
  const pass: ScanPass = {
    list: new Int32Array(buf, listOff, cap),
    cap,
    shifted: shift !== null,
    norms: scanNorms,
    maxNorm,
    collect: (row, threshold) =>
      inst.candidates(dataOff + (row - chunkStart) * dim * 4, 0, cbBytes, blocks, threshold, listOff, cap),
    rowNorm: (row) => {
      let s = 0;
      for (let t = (row - chunkStart) * dim, e = t + dim; t < e; t++) s += dataView[t] * dataView[t];
      return s * 0.25; // the view holds −2x′
    },
  };
  for (let s = r0; s < r1; s += rows) {
    const m = Math.min(rows, r1 - s);
    // The scan reads −2x (exact power-of-two scaling) so its inner loop is multiply-add only.
    const src = data.subarray(s * dim, (s + m) * dim);
    if (shift) for (let t = 0; t < src.length; t++) dataView[t] = -2 * Math.fround(src[t] - shift[t % dim]);
    else for (let t = 0; t < src.length; t++) dataView[t] = -2 * src[t];
    const groups = Math.ceil(m / R);
    dataView.fill(0, m * dim, groups * R * dim);
    inst.search(dataOff, groups, 0, cbBytes, blocks, outOff);
    chunkStart = s;
    for (let r = 0; r < m; r++) visit(s + r, outF, outI, 12 * r, pass);
  }
  return true;
}
