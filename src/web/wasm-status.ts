/**
 * Which WebAssembly kernels this runtime runs. Both kernels fall back to JavaScript silently
 * (a runtime without SIMD), which is correct but slower; a page shows this so a slow run can be
 * told from a broken one, and the browser test checks that Chromium runs the WebAssembly ones.
 */
import { wasmKernelAvailable } from '../dsp/polyphase-resampler.js';
import { NearestSearcher } from '../model/msvq-search.js';

export interface WasmKernels {
  /** The MSVQ nearest-codeword scan (src/model/msvq-search.ts). */
  msvqSearch: boolean;
  /** The polyphase resampler's dot products (src/dsp/polyphase-resampler.ts). */
  resampler: boolean;
}

export function wasmKernels(): WasmKernels {
  // The scan kernel is built per codebook; a 2×16 one is enough to see whether it instantiates.
  const probe = new NearestSearcher(new Float32Array(32).map((_, i) => i), 2, 16);
  return { msvqSearch: probe.usesWasm, resampler: wasmKernelAvailable() };
}
