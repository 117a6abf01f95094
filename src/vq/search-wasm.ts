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

// lib "ES2022" without DOM has no WebAssembly typings; declare the little we use.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
};

const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  f32Load: 0x2a, i32Const: 0x41, f32Const: 0x43,
  i32GeU: 0x4f, i32Add: 0x6a, f32Mul: 0x94,
} as const;
const SIMD = {
  load: 0x00, store: 0x0b, const: 0x0c, i32x4Splat: 0x11, f32x4Splat: 0x13,
  f32x4Lt: 0x43, bitselect: 0x52, i32x4Add: 0xae, f32x4Add: 0xe4, f32x4Mul: 0xe6,
  f32x4Min: 0xe8, f32x4Max: 0xe9,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(Buffer.from(s, 'utf8'))];
}

/** Build the module bytes for dimension `dim`. Export: search(data, n, cb, norms, blocks, out). */
export function buildSearchModule(dim: number): Uint8Array {
  const c: number[] = [];
  const simd = (op: number, ...imm: number[]) => c.push(0xfd, ...uleb(op), ...imm);
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
  // params 0 data, 1 n, 2 cb, 3 norms, 4 blocks, 5 out
  // i32 locals: 6 r, 7 b, 8 cbp, 9 np, 10 xp, 11 op; v128 locals: 12 s, 13 b1, 14 b2, 15 bi, 16 ci, 17 acc2, 18.. xs
  const L = { r: 6, b: 7, cbp: 8, np: 9, xp: 10, op: 11, s: 12, b1: 13, b2: 14, bi: 15, ci: 16, acc2: 17, xs: 18 };
  get(0); set(L.xp);
  get(5); set(L.op);
  i32(0); set(L.r);
  c.push(OP.block, 0x40, OP.loop, 0x40);
  get(L.r); get(1); c.push(OP.i32GeU, OP.brIf, 1);
  for (let i = 0; i < dim; i++) {
    get(L.xp);
    c.push(OP.f32Load, 2, ...uleb(4 * i));
    c.push(OP.f32Const, 0x00, 0x00, 0x00, 0xc0); // −2.0f: exact scaling
    c.push(OP.f32Mul);
    simd(SIMD.f32x4Splat);
    set(L.xs + i);
  }
  v128f32(Infinity); set(L.b1);
  v128f32(Infinity); set(L.b2);
  v128i32(0, 0, 0, 0); set(L.bi);
  v128i32(0, 1, 2, 3); set(L.ci);
  get(2); set(L.cbp);
  get(3); set(L.np);
  i32(0); set(L.b);
  c.push(OP.block, 0x40, OP.loop, 0x40);
  get(L.b); get(4); c.push(OP.i32GeU, OP.brIf, 1);
  // Two partial sums (even / odd components) shorten the dependency chain.
  get(L.np); simd(SIMD.load, 4, 0);
  for (let i = 0; i < dim; i += 2) {
    get(L.cbp); simd(SIMD.load, 4, ...uleb(16 * i));
    get(L.xs + i); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add);
  }
  set(L.s);
  if (dim > 1) {
    get(L.cbp); simd(SIMD.load, 4, ...uleb(16));
    get(L.xs + 1); simd(SIMD.f32x4Mul);
    for (let i = 3; i < dim; i += 2) {
      get(L.cbp); simd(SIMD.load, 4, ...uleb(16 * i));
      get(L.xs + i); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add);
    }
    set(L.acc2);
    get(L.s); get(L.acc2); simd(SIMD.f32x4Add); set(L.s);
  }
  // b2 = min(b2, max(s, b1)); bi = s < b1 ? ci : bi; b1 = min(b1, s)
  get(L.b2); get(L.s); get(L.b1); simd(SIMD.f32x4Max); simd(SIMD.f32x4Min); set(L.b2);
  get(L.ci); get(L.bi); get(L.s); get(L.b1); simd(SIMD.f32x4Lt); simd(SIMD.bitselect); set(L.bi);
  get(L.b1); get(L.s); simd(SIMD.f32x4Min); set(L.b1);
  get(L.ci); v128i32(4, 4, 4, 4); simd(SIMD.i32x4Add); set(L.ci);
  get(L.cbp); i32(16 * dim); c.push(OP.i32Add); set(L.cbp);
  get(L.np); i32(16); c.push(OP.i32Add); set(L.np);
  get(L.b); i32(1); c.push(OP.i32Add); set(L.b);
  c.push(OP.br, 0, OP.end, OP.end);
  get(L.op); get(L.b1); simd(SIMD.store, 4, 0);
  get(L.op); get(L.b2); simd(SIMD.store, 4, 16);
  get(L.op); get(L.bi); simd(SIMD.store, 4, 32);
  get(L.op); i32(48); c.push(OP.i32Add); set(L.op);
  get(L.xp); i32(4 * dim); c.push(OP.i32Add); set(L.xp);
  get(L.r); i32(1); c.push(OP.i32Add); set(L.r);
  c.push(OP.br, 0, OP.end, OP.end);
  c.push(OP.end);

  const locals = [2, ...uleb(6), 0x7f, ...uleb(6 + dim), 0x7b];
  const body = [...locals, ...c];
  const code = [1, ...uleb(body.length), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...str('search'), 0x00, 0, ...str('mem'), 0x02, 0]),
    ...section(10, code),
  ]);
}

interface Instance {
  search: (data: number, n: number, cb: number, norms: number, blocks: number, out: number) => void;
  mem: WasmMemory;
}

const instances = new Map<number, Instance | null>();

/** Largest dimension served by the SIMD path (locals are one v128 per component). */
export const WASM_MAX_DIM = 64;

function instanceFor(dim: number): Instance | null {
  if (dim > WASM_MAX_DIM) return null;
  let inst = instances.get(dim);
  if (inst === undefined) {
    try {
      const m = new WebAssembly.Instance(new WebAssembly.Module(buildSearchModule(dim)));
      inst = { search: m.exports.search as Instance['search'], mem: m.exports.mem as WasmMemory };
    } catch {
      inst = null; // no WebAssembly SIMD in this runtime: callers use the JS kernel
    }
    instances.set(dim, inst);
  }
  return inst;
}

export function wasmSearchAvailable(dim = 16): boolean {
  return instanceFor(dim) !== null;
}

/** Rows per wasm call, bounding the scratch memory. */
const CHUNK = 8192;

/**
 * Lane results of the SIMD scan for rows [r0, r1): per row 4 best scores, 4 runner-up scores,
 * 4 best indices (float32 scores f = ‖c‖² − 2x·c). `visit(row, b1, b2, bi, base)` reads them.
 * Returns false if the SIMD path is unavailable for this dimension.
 */
export function wasmScan(
  data: Float32Array,
  r0: number,
  r1: number,
  codebook: Float32Array,
  norms: Float64Array,
  k: number,
  dim: number,
  visit: (row: number, f32: Float32Array, i32: Int32Array, base: number) => void,
): boolean {
  const inst = instanceFor(dim);
  if (!inst) return false;
  const blocks = (k + 3) >> 2;
  const cbBytes = blocks * dim * 16;
  const normBytes = blocks * 16;
  const rows = Math.min(CHUNK, r1 - r0);
  const need = cbBytes + normBytes + rows * dim * 4 + rows * 48;
  const have = inst.mem.buffer.byteLength;
  if (need > have) inst.mem.grow(Math.ceil((need - have) / 65536));
  const buf = inst.mem.buffer;
  const cbView = new Float32Array(buf, 0, blocks * dim * 4);
  const normView = new Float32Array(buf, cbBytes, blocks * 4);
  // Transpose into blocks of 4; padding lanes get score +∞ and are never chosen.
  for (let b = 0; b < blocks; b++) {
    for (let l = 0; l < 4; l++) {
      const j = 4 * b + l;
      if (j < k) {
        normView[4 * b + l] = norms[j];
        for (let i = 0; i < dim; i++) cbView[(b * dim + i) * 4 + l] = codebook[j * dim + i];
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
  for (let s = r0; s < r1; s += rows) {
    const m = Math.min(rows, r1 - s);
    dataView.set(data.subarray(s * dim, (s + m) * dim));
    inst.search(dataOff, m, 0, cbBytes, blocks, outOff);
    for (let r = 0; r < m; r++) visit(s + r, outF, outI, 12 * r);
  }
  return true;
}
