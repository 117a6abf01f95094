import { describe, expect, it } from 'vitest';
import {
  OP, VAL, buildWasmModule, ensureMemory, instantiateWasm, sleb, uleb, wasmName, type WasmMemory,
} from '../src/util/wasm-module-builder.js';

describe('LEB128', () => {
  it('unsigned: edge values (spec §5.2.2 examples and the u32 limits)', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(1)).toEqual([0x01]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(2 ** 14 - 1)).toEqual([0xff, 0x7f]);
    expect(uleb(2 ** 14)).toEqual([0x80, 0x80, 0x01]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => uleb(-1)).toThrow(RangeError);
    expect(() => uleb(2 ** 32)).toThrow(RangeError);
    expect(() => uleb(1.5)).toThrow(RangeError);
  });

  it('signed: sign bit of the last byte decides, i32 limits', () => {
    expect(sleb(0)).toEqual([0x00]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(0x7fffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(sleb(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(() => sleb(2 ** 31)).toThrow(RangeError);
  });

  it('names are length-prefixed UTF-8', () => {
    expect(wasmName('mem')).toEqual([3, 0x6d, 0x65, 0x6d]);
    expect(wasmName('é')).toEqual([2, 0xc3, 0xa9]);
  });
});

describe('buildWasmModule', () => {
  it('a module that adds two i32 instantiates and runs', () => {
    const I32 = VAL.i32;
    const bytes = buildWasmModule({
      functions: [{ name: 'add', params: [I32, I32], results: [I32], locals: [], code: [OP.localGet, 0, OP.localGet, 1, OP.i32Add, OP.end] }],
      memoryPages: 1,
      memoryName: 'mem',
    });
    const exports = instantiateWasm(bytes);
    expect(exports).not.toBeNull();
    const add = exports!.add as (a: number, b: number) => number;
    expect(add(2, 3)).toBe(5);
    expect(add(0x7fffffff, 1)).toBe(-0x80000000); // i32 wrap-around
    const mem = exports!.mem as WasmMemory;
    expect(mem.buffer.byteLength).toBe(65536);
    ensureMemory(mem, 65537);
    expect(mem.buffer.byteLength).toBe(2 * 65536);
    ensureMemory(mem, 100);
    expect(mem.buffer.byteLength).toBe(2 * 65536);
  });

  it('declared locals start at zero; several functions get their own types and exports', () => {
    const I32 = VAL.i32;
    const bytes = buildWasmModule({
      functions: [
        { name: 'zero', params: [], results: [I32], locals: [[2, I32]], code: [OP.localGet, 1, OP.end] },
        { name: 'inc', params: [I32], results: [I32], locals: [], code: [OP.localGet, 0, OP.i32Const, 1, OP.i32Add, OP.end] },
      ],
      memoryPages: 0,
      memoryName: 'm',
    });
    const exports = instantiateWasm(bytes)!;
    expect((exports.zero as () => number)()).toBe(0);
    expect((exports.inc as (a: number) => number)(41)).toBe(42);
    expect((exports.m as WasmMemory).buffer.byteLength).toBe(0);
  });

  it('instantiateWasm returns null for bytes the runtime rejects', () => {
    expect(instantiateWasm(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0]))).toBeNull();
    const bad = buildWasmModule({
      functions: [{ name: 'f', params: [], results: [VAL.i32], locals: [], code: [OP.end] }], // missing result
      memoryPages: 1,
      memoryName: 'mem',
    });
    expect(instantiateWasm(bad)).toBeNull();
  });
});
