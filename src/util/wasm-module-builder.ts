/**
 * Minimal WebAssembly binary writer for the kernels generated at run time (the VQ search scan in
 * vq/search-wasm.ts, the polyphase resampler in dsp/polyphase-resampler.ts). Each kernel writes
 * its own function bodies; this module holds what they share: LEB128, opcode numbers, the
 * module layout (type, function, memory, export and code sections; WebAssembly core spec §5)
 * and instantiation with feature detection (a runtime without SIMD rejects the module).
 */

// lib "ES2022" without DOM has no WebAssembly typings; declare the little used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
};

/** Bytes per WebAssembly memory page. */
export const WASM_PAGE = 65536;

/** Value types (spec §5.3.1). */
export const VAL = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof VAL)[keyof typeof VAL];

/** Block type "no result" for block/loop/if. */
export const VOID_BLOCK = 0x40;

/** Core opcodes used by the kernels (spec §5.4). */
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, br: 0x0c, brIf: 0x0d, end: 0x0b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  f32Load: 0x2a, f64Store: 0x39, i32Const: 0x41, f32Const: 0x43,
  i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32Shl: 0x74,
  f32Mul: 0x94, f64Add: 0xa0,
} as const;

/** Prefix byte of the SIMD instructions; the opcode that follows is a ULEB128 (spec §5.4.8). */
export const SIMD_PREFIX = 0xfd;

/** SIMD opcodes used by the kernels. */
export const SIMD = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c, i32x4Splat: 0x11, f32x4Splat: 0x13,
  f64x2ExtractLane: 0x21, f32x4Lt: 0x43, bitselect: 0x52, i32x4Add: 0xae,
  f32x4Add: 0xe4, f32x4Mul: 0xe6, f32x4Min: 0xe8, f32x4Max: 0xe9, f32x4Pmin: 0xea, f32x4Pmax: 0xeb,
  f64x2Add: 0xf0, f64x2Mul: 0xf2,
} as const;

/** Unsigned LEB128 of a non-negative integer < 2^32. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: not a u32: ${n}`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer in the i32 range. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb: not an i32: ${n}`);
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

/** A name: ULEB128 byte length, then UTF-8 bytes. */
export function wasmName(s: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(s));
  return [...uleb(bytes.length), ...bytes];
}

/** A section: id, ULEB128 size, contents. */
export function wasmSection(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** One function of a generated module. */
export interface WasmFunction {
  /** Exported under this name. */
  name: string;
  params: readonly ValType[];
  results: readonly ValType[];
  /** Local declarations after the parameters, as runs of (count, type). */
  locals: ReadonlyArray<readonly [number, ValType]>;
  /** Instruction bytes, including the function's final `end`. */
  code: readonly number[];
}

/** A module: functions (one type each, in order) and one memory of `memoryPages` pages, no maximum. */
export interface WasmModuleSpec {
  functions: readonly WasmFunction[];
  memoryPages: number;
  /** Export name of the memory. */
  memoryName: string;
}

/** The module bytes for `spec` (sections 1 type, 3 function, 5 memory, 7 export, 10 code). */
export function buildWasmModule(spec: WasmModuleSpec): Uint8Array {
  const fns = spec.functions;
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const types = fns.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]);
  const exports = [
    ...fns.map((f, i) => [...wasmName(f.name), 0x00, ...uleb(i)]),
    [...wasmName(spec.memoryName), 0x02, 0],
  ];
  const bodies = fns.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.code];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...wasmSection(1, vec(types)),
    ...wasmSection(3, vec(fns.map((_, i) => uleb(i)))),
    ...wasmSection(5, [1, 0x00, ...uleb(spec.memoryPages)]),
    ...wasmSection(7, vec(exports)),
    ...wasmSection(10, vec(bodies)),
  ]);
}

/**
 * Compile and instantiate `bytes` (no imports); null when the runtime rejects the module, e.g.
 * for lack of SIMD, so callers fall back to their JS kernels.
 */
export function instantiateWasm(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  } catch {
    return null;
  }
}

/** Grow `mem` so that it holds at least `bytes` bytes. */
export function ensureMemory(mem: WasmMemory, bytes: number): void {
  const need = Math.ceil(bytes / WASM_PAGE) - mem.buffer.byteLength / WASM_PAGE;
  if (need > 0) mem.grow(need);
}
