/**
 * Kaiser-windowed polyphase rational resampler (issue 2 follow-up: libsamplerate's
 * SRC_SINC_BEST_QUALITY met the quality targets but ran at only 4–20× real time).
 *
 * Conversion by L/M = toRate/fromRate (reduced by the gcd). Output sample k sits at input time
 *   t_k = (k·M + offset)/L      (offset = 0 for our own design: zero delay)
 * and is a dot product of `taps` consecutive input samples with one row of a precomputed phase
 * table, so each output costs `taps` multiply-adds (= filter length / L of the prototype filter
 * at the up-sampled rate L·fromRate, the usual polyphase saving):
 *   y[k] = Σ_{m=0}^{taps−1} x[j_k − lead + m] · c[φ_k][m],  j_k = ⌊t_k⌋, φ_k = (k·M + offset) mod L.
 * Samples outside the signal are zeros.
 *
 * Our filter (designResamplerFilter): a windowed ideal low-pass g(u) = 2f_c·sinc(2f_c·u)·w(u),
 * u in input samples, Kaiser window w of half-width H (Kaiser 1974; length and β from Kaiser's
 * formulas as in Oppenheim & Schafer, "Discrete-Time Signal Processing", §7.5.3). With
 * f_N = min(from, to)/2 the lower Nyquist frequency, the transition band is
 * [7/8·f_N, f_N] (7–8 kHz when one side is 16 kHz), cut-off in its middle, so the passband is
 * flat to 7/8·f_N and everything from f_N up (aliases when decimating, images when
 * interpolating) is ≥ `attenuationDb` down. Each phase row is normalised to unit sum, so DC
 * passes exactly and constant input gives constant output (no phase-dependent ripple).
 *
 * When the exact L-row table would be too big (odd rates, e.g. 44101 → 16000 has L = 16000),
 * the table holds P+1 evenly spaced fractional phases instead and each output interpolates
 * linearly between its two neighbouring rows (as libsamplerate does); the kernel is smooth on
 * that scale (see MAX_TABLE), so the error stays far below the stop-band level.
 *
 * Two kernels run the dot products: a WebAssembly SIMD one (f64x2, generated below as bytes)
 * for exact tables that carry a `key`, which is what the audio path and the STOI resampler use,
 * and a plain JS one for everything else and as the fallback without SIMD (useWasmKernel(false)
 * forces it). A stream picks its kernel once, so streaming stays bit-identical to one-shot.
 * bench:dsp measures both against libsamplerate.
 */
import { UserError } from '../errors.js';
import {
  OP, SIMD, SIMD_PREFIX, VAL, VOID_BLOCK, buildWasmModule, ensureMemory, instantiateWasm, uleb,
  type WasmFunction, type WasmMemory,
} from '../util/wasm-module-builder.js';

export interface PolyphaseFilter {
  /** Interpolation factor L (toRate / gcd). */
  readonly up: number;
  /** Decimation factor M (fromRate / gcd). */
  readonly down: number;
  /** Multiply-adds per output sample (row length). */
  readonly taps: number;
  /** Output k uses input x[j_k − lead … j_k − lead + taps − 1]. */
  readonly lead: number;
  /** Output k sits at up-sampled position k·M + offset (units of 1/L input sample). */
  readonly offset: number;
  /**
   * Number of fractional phases P in the table. P = L: row φ_k is used as is (exact). P ≠ L:
   * the table has P+1 rows at fractions 0, 1/P, …, 1 and output k interpolates between rows
   * ⌊φ_k·P/L⌋ and the next.
   */
  readonly phases: number;
  /** Rows × taps, row-major (L rows when exact, P+1 when interpolated). */
  readonly coefs: Float64Array;
  /**
   * Identity of the table's contents (equal keys ⇒ equal tables), so the WASM kernel copies each
   * table into its memory once. Without a key the JS kernel runs the filter.
   */
  readonly key?: string;
}

/** How our own filter was designed (for reports and tests). */
export interface ResamplerDesign {
  fromRate: number;
  toRate: number;
  /** Edge of the flat passband, Hz (7/8 of the lower Nyquist). */
  passbandHz: number;
  /** Start of the stop band, Hz (the lower Nyquist). */
  stopbandHz: number;
  /** −6 dB point of the ideal low-pass, Hz (middle of the transition band). */
  cutoffHz: number;
  attenuationDb: number;
  beta: number;
  /** Half-width H of the Kaiser window in input samples; the kernel is 0 for |u| ≥ H. */
  halfWidth: number;
}

export interface DesignedResampler extends PolyphaseFilter {
  readonly design: ResamplerDesign;
}

export interface ResamplerDesignOptions {
  /** Stop-band attenuation the Kaiser formulas aim at (default 90 dB, ≥ 80 dB measured). */
  attenuationDb?: number;
  /** Passband edge as a fraction of the lower Nyquist (default 7/8: 7 kHz for 16 kHz). */
  passbandFraction?: number;
}

/** Default stop-band target: 10 dB above the 80 dB requirement covers the formula's slack. */
export const DEFAULT_ATTENUATION_DB = 90;
const DEFAULT_PASSBAND_FRACTION = 7 / 8;
/** Largest conversion ratio either way (as libsamplerate): bounds the filter length. */
export const MAX_RATIO = 256;
/** Largest phase table (coefficients, 8 MB of float64) before switching to interpolated phases. */
const MAX_TABLE = 1 << 20;
/** Input samples copied into the history buffer per step of the streaming engine. */
const CHUNK = 8192;

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** UserError unless fromRate → toRate is convertible: positive integer rates ≤ 1 MHz, ratio within 1/256..256. */
export function checkRates(fromRate: number, toRate: number): void {
  for (const r of [fromRate, toRate]) {
    if (!Number.isInteger(r) || r < 1 || r > 1_000_000) throw new UserError(`unsupported sample rate: ${r} Hz`);
  }
  const ratio = toRate / fromRate;
  if (ratio > MAX_RATIO || ratio < 1 / MAX_RATIO) {
    throw new UserError(`cannot resample from ${fromRate} Hz to ${toRate} Hz: ratio outside 1/${MAX_RATIO}..${MAX_RATIO}`);
  }
}

/** Length of `n` samples at `fromRate` after conversion to `toRate`: round(n·to/from), half up, exact. */
export function resampledLength(n: number, fromRate: number, toRate: number): number {
  if (fromRate === toRate) return n;
  // Integer arithmetic: n·to stays far below 2^53 for any real recording.
  return Math.floor((n * toRate + Math.floor(fromRate / 2)) / fromRate);
}

/** Modified Bessel function of the first kind, order 0 (power series; converges for any β used here). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 1000; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's β for a stop-band attenuation A in dB (Oppenheim & Schafer eq. 7.62). */
export function kaiserBeta(attenuationDb: number): number {
  const a = attenuationDb;
  if (a > 50) return 0.1102 * (a - 8.7);
  if (a >= 21) return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  return 0;
}

/**
 * Kaiser's length estimate (O&S eq. 7.63): window span N − 1 = (A − 8)/(2.285·Δω) samples for a
 * transition width Δω = 2π·`transition` (transition in cycles per sample).
 */
export function kaiserSpan(attenuationDb: number, transition: number): number {
  return (attenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition);
}

/** The continuous kernel g(u) (before per-phase normalisation), u in input samples. */
export function kernelValue(u: number, cutoff: number, halfWidth: number, beta: number, i0Beta = besselI0(beta)): number {
  const r = u / halfWidth;
  if (r <= -1 || r >= 1) return 0;
  const w = besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
  const a = 2 * cutoff * u;
  const sinc = a === 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a);
  return 2 * cutoff * sinc * w;
}

/** Reduce toRate/fromRate to L/M in lowest terms. */
export function reduceRatio(fromRate: number, toRate: number): { up: number; down: number } {
  const g = gcd(fromRate, toRate);
  return { up: toRate / g, down: fromRate / g };
}

/**
 * Our anti-aliasing / anti-imaging filter for fromRate → toRate as a polyphase table (zero
 * delay: offset 0). See the module comment for the design rule.
 */
export function designResamplerFilter(fromRate: number, toRate: number, opts: ResamplerDesignOptions = {}): DesignedResampler {
  checkRates(fromRate, toRate);
  const attenuationDb = opts.attenuationDb ?? DEFAULT_ATTENUATION_DB;
  const passFraction = opts.passbandFraction ?? DEFAULT_PASSBAND_FRACTION;
  if (!(attenuationDb >= 21 && attenuationDb <= 200)) throw new RangeError(`attenuationDb out of range: ${attenuationDb}`);
  if (!(passFraction > 0 && passFraction < 1)) throw new RangeError(`passbandFraction out of range: ${passFraction}`);
  const { up, down } = reduceRatio(fromRate, toRate);
  const nyquist = Math.min(fromRate, toRate) / 2;
  const passbandHz = passFraction * nyquist;
  const stopbandHz = nyquist;
  const cutoffHz = (passbandHz + stopbandHz) / 2;
  // Everything in cycles per input sample: the kernel is a function of input-sample offset.
  const cutoff = cutoffHz / fromRate;
  const transition = (stopbandHz - passbandHz) / fromRate;
  const beta = kaiserBeta(attenuationDb);
  const halfWidth = Math.max(1, Math.ceil(kaiserSpan(attenuationDb, transition) / 2));
  // Output at t = j + f (f ∈ [0, 1)) uses x[j − i] for i = −H … H − 1 (offsets u = i + f ∈ (−H, H)):
  // row element m holds g(H − 1 − (m − pad) + f), so the dot product runs forward over x from
  // j − (H − 1) − pad. The `pad` leading zeros make rows a multiple of 8 for the SIMD kernel.
  const taps = 8 * Math.ceil((2 * halfWidth) / 8);
  const pad = taps - 2 * halfWidth;
  const lead = halfWidth - 1 + pad;
  const exact = up * taps <= MAX_TABLE;
  const phases = exact ? up : Math.max(2, Math.floor(MAX_TABLE / taps) - 1);
  const rows = exact ? up : phases + 1;
  const coefs = new Float64Array(rows * taps);
  const i0Beta = besselI0(beta);
  for (let row = 0; row < rows; row++) {
    const frac = row / phases;
    const base = row * taps;
    let sum = 0;
    for (let m = pad; m < taps; m++) {
      const v = kernelValue(halfWidth - 1 - (m - pad) + frac, cutoff, halfWidth, beta, i0Beta);
      coefs[base + m] = v;
      sum += v;
    }
    for (let m = 0; m < taps; m++) coefs[base + m] /= sum;
  }
  return {
    up,
    down,
    taps,
    lead,
    offset: 0,
    phases,
    coefs,
    key: `kaiser:${fromRate}:${toRate}:${attenuationDb}:${passFraction}`,
    design: { fromRate, toRate, passbandHz, stopbandHz, cutoffHz, attenuationDb, beta, halfWidth },
  };
}

// ---------------------------------------------------------------------------------------------
// WebAssembly SIMD kernel for exact tables (the audio path; the STOI pair via run2). It computes
// a run of outputs with f64x2 multiply-adds (4 partial sums of 2 lanes, 8 taps per step),
// stepping the phase itself, so one call covers a whole chunk. The module is assembled here as
// bytes (no build step, no binary in the repo). Rows must be a multiple of 8 taps (both table
// builders pad with leading zeros). Float64 throughout; its summation order differs from `dot`,
// but a stream keeps the kernel it started with, so streaming stays bit-exact.

/**
 * run(coef, taps, up, stepInt, stepRem, phase, x, out, count) → final phase, or for a
 * pair run2(coef, taps, up, stepInt, stepRem, phase, x, y, out, out2, count) → final phase.
 * Byte addresses: coef = table start, x (y) = first tap of the first output, out (out2) = f64
 * outputs. Per output: 4 f64x2 partial sums per signal over 8 taps per step.
 */
function kernelFunction(pair: boolean): WasmFunction {
  const [COEF, TAPS, UP, SINT, SREM, PHASE, X] = [0, 1, 2, 3, 4, 5, 6];
  const Y = pair ? 7 : -1;
  const OUT = pair ? 8 : 7;
  const OUT2 = pair ? 9 : -1;
  const COUNT = pair ? 10 : 8;
  const nParams = pair ? 11 : 9;
  const [C, XP, YP, END] = [nParams, nParams + 1, nParams + 2, nParams + 3]; // i32 locals
  const V = nParams + 4; // v128 locals: A0..A3, then B0..B3 (pair), then CV
  const A = [V, V + 1, V + 2, V + 3];
  const B = [V + 4, V + 5, V + 6, V + 7];
  const CV = V + 8;
  const b: number[] = [];
  const get = (l: number) => b.push(OP.localGet, l);
  const set = (l: number) => b.push(OP.localSet, l);
  const tee = (l: number) => b.push(OP.localTee, l);
  const i32c = (v: number) => b.push(OP.i32Const, v); // small non-negative constants only (< 64)
  const simd = (op: number, ...imm: number[]) => b.push(SIMD_PREFIX, ...uleb(op), ...imm);
  const load = (off: number) => simd(SIMD.load, 3, ...uleb(off)); // v128.load align=8
  const zero = () => simd(SIMD.const, ...new Array<number>(16).fill(0));
  const accs = pair ? [...A, ...B] : A;
  /** Store the lane sum of (s0 + s1) + (s2 + s3) at the address on the stack. */
  const storeSum = (s: number[]) => {
    get(s[0]); get(s[1]); simd(SIMD.f64x2Add); get(s[2]); get(s[3]); simd(SIMD.f64x2Add); simd(SIMD.f64x2Add); tee(s[0]);
    simd(SIMD.f64x2ExtractLane, 0); get(s[0]); simd(SIMD.f64x2ExtractLane, 1); b.push(OP.f64Add);
    b.push(OP.f64Store, 3, 0); // align=8 offset=0
  };
  const bump = (l: number, by: number) => {
    get(l); i32c(by); b.push(OP.i32Add); set(l);
  };

  b.push(OP.block, VOID_BLOCK);
  get(COUNT); b.push(OP.i32Eqz, OP.brIf, 0); // nothing to do
  b.push(OP.loop, VOID_BLOCK); // outputs
  get(COEF); get(PHASE); get(TAPS); b.push(OP.i32Mul); i32c(3); b.push(OP.i32Shl, OP.i32Add); tee(C);
  get(TAPS); i32c(3); b.push(OP.i32Shl, OP.i32Add); set(END);
  get(X); set(XP);
  if (pair) { get(Y); set(YP); }
  for (const acc of accs) { zero(); set(acc); }
  b.push(OP.loop, VOID_BLOCK); // taps, 8 per step
  for (let i = 0; i < 4; i++) {
    get(C); load(16 * i); set(CV);
    get(A[i]); get(CV); get(XP); load(16 * i); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Add); set(A[i]);
    if (pair) { get(B[i]); get(CV); get(YP); load(16 * i); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Add); set(B[i]); }
  }
  // C, XP (, YP) += 64 bytes (two 32s: single-byte constants)
  for (const l of pair ? [C, XP, YP] : [C, XP]) { bump(l, 32); bump(l, 32); }
  get(C); get(END); b.push(OP.i32LtU, OP.brIf, 0); // next 8 taps
  b.push(OP.end); // inner loop
  get(OUT); storeSum(A);
  bump(OUT, 8);
  if (pair) { get(OUT2); storeSum(B); bump(OUT2, 8); }
  get(X); get(SINT); i32c(3); b.push(OP.i32Shl, OP.i32Add); set(X);
  if (pair) { get(Y); get(SINT); i32c(3); b.push(OP.i32Shl, OP.i32Add); set(Y); }
  get(PHASE); get(SREM); b.push(OP.i32Add); tee(PHASE); get(UP); b.push(OP.i32GeU);
  b.push(OP.if, VOID_BLOCK);
  get(PHASE); get(UP); b.push(OP.i32Sub); set(PHASE);
  bump(X, 8);
  if (pair) bump(Y, 8);
  b.push(OP.end); // if
  get(COUNT); i32c(1); b.push(OP.i32Sub); tee(COUNT); b.push(OP.brIf, 0); // next output
  b.push(OP.end); // outer loop
  b.push(OP.end); // block
  get(PHASE);
  b.push(OP.end); // function
  return {
    name: pair ? 'run2' : 'run',
    params: new Array<typeof VAL.i32>(nParams).fill(VAL.i32),
    results: [VAL.i32],
    locals: [[4, VAL.i32], [9, VAL.v128]],
    code: b,
  };
}

/** The module: exports run (one signal), run2 (a pair) and mem (min 1 page, no max). */
function buildKernelModule(): Uint8Array {
  return buildWasmModule({ functions: [kernelFunction(false), kernelFunction(true)], memoryPages: 1, memoryName: 'mem' });
}

/** Largest row the WASM path takes (longer rows: ratios near 1/256, JS kernel). */
const WASM_MAX_TAPS = 4096;
/** History scratch (float64 samples) and output scratch (float64 outputs) at the start of memory. */
const WASM_HIST = WASM_MAX_TAPS + 512 + CHUNK + 64;
const WASM_OUT = 16384;
/** Tables are never freed (one per key: per rate pair in practice); past this the JS kernel runs new ones. */
const WASM_TABLE_BYTES = 256 * 1024 * 1024;

type RunFn = (coef: number, taps: number, up: number, stepInt: number, stepRem: number, phase: number, x: number, out: number, count: number) => number;
type Run2Fn = (
  coef: number, taps: number, up: number, stepInt: number, stepRem: number, phase: number,
  x: number, y: number, out: number, out2: number, count: number,
) => number;

/** Scratch layout (bytes): history of x, history of y, outputs of x, outputs of y; tables after. */
const HIST_X = 0;
const HIST_Y = 8 * WASM_HIST;
const OUT_X = 16 * WASM_HIST;
const OUT_Y = OUT_X + 8 * WASM_OUT;
const TABLES = OUT_Y + 8 * WASM_OUT;

interface Kernel {
  run: RunFn;
  run2: Run2Fn;
  mem: WasmMemory;
  /** Next free byte for coefficient tables. */
  top: number;
  /** Table addresses by design (designs are deterministic, so equal keys mean equal tables). */
  tables: Map<string, number>;
}

let kernel: Kernel | null | undefined;

function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const exports = instantiateWasm(buildKernelModule());
  if (!exports) return (kernel = null); // no WebAssembly SIMD: the JS kernel does everything
  const mem = exports.mem as WasmMemory;
  ensureMemory(mem, TABLES);
  kernel = { run: exports.run as RunFn, run2: exports.run2 as Run2Fn, mem, top: TABLES, tables: new Map() };
  return kernel;
}

let wasmEnabled = true;

/** True when the WASM SIMD kernel instantiated (Node ≥ 16.4 has SIMD); otherwise everything runs in JS. */
export function wasmKernelAvailable(): boolean {
  return loadKernel() !== null;
}

/** Switch the WASM kernel off (or back on) for resamplers created afterwards: tests and benches compare both. */
export function useWasmKernel(on: boolean): void {
  wasmEnabled = on;
}

/**
 * Byte address of a filter's table in WASM memory (copied once per key), or −1 when the JS
 * kernel must run it (no SIMD, no key, interpolated phases, rows not a multiple of 8 or too long).
 */
function wasmTable(f: PolyphaseFilter): number {
  const key = f.key;
  if (!wasmEnabled || key === undefined || f.phases !== f.up || f.taps % 8 !== 0 || f.taps > WASM_MAX_TAPS) return -1;
  const k = loadKernel();
  if (!k) return -1;
  const known = k.tables.get(key);
  if (known !== undefined) return known;
  const ptr = k.top;
  const end = ptr + 8 * f.coefs.length;
  if (end > TABLES + WASM_TABLE_BYTES) return -1;
  ensureMemory(k.mem, end);
  new Float64Array(k.mem.buffer, ptr, f.coefs.length).set(f.coefs);
  k.top = end;
  k.tables.set(key, ptr);
  return ptr;
}

/** Output buffers the engine writes: float32 audio, or float64 for analysis code (STOI). */
export type SampleArray = Float32Array | Float64Array;

/** Dot product of `n` coefficients from c[cb] with `n` samples from x[xb], four partial sums. */
function dot(c: Float64Array, cb: number, x: Float64Array, xb: number, n: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let t = 0;
  for (; t + 3 < n; t += 4) {
    a0 += c[cb + t] * x[xb + t];
    a1 += c[cb + t + 1] * x[xb + t + 1];
    a2 += c[cb + t + 2] * x[xb + t + 2];
    a3 += c[cb + t + 3] * x[xb + t + 3];
  }
  for (; t < n; t++) a0 += c[cb + t] * x[xb + t];
  return a0 + a1 + (a2 + a3);
}

/** The same dot product for two signals at once (each coefficient loaded once); result in pairOut. */
function dotPair(c: Float64Array, cb: number, x: Float64Array, y: Float64Array, xb: number, n: number, pairOut: Float64Array): void {
  let a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  let t = 0;
  for (; t + 1 < n; t += 2) {
    const h0 = c[cb + t], h1 = c[cb + t + 1];
    a0 += h0 * x[xb + t];
    b0 += h0 * y[xb + t];
    a1 += h1 * x[xb + t + 1];
    b1 += h1 * y[xb + t + 1];
  }
  for (; t < n; t++) {
    a0 += c[cb + t] * x[xb + t];
    b0 += c[cb + t] * y[xb + t];
  }
  pairOut[0] = a0 + a1;
  pairOut[1] = b0 + b1;
}

/**
 * Streaming polyphase engine with bounded state: a float64 history buffer of taps + CHUNK input
 * samples per channel (one channel, or a pair filtered together). Output k is produced as soon
 * as its last input sample has arrived; `finish` feeds zeros until the total output reaches
 * `outputLength(total input)`. The concatenated output of any sequence of pushes is
 * bit-identical to one push of the whole signal (same rows, same summation order).
 */
export class PolyphaseResampler {
  private readonly f: PolyphaseFilter;
  private readonly outputLength: (n: number) => number;
  private readonly buf: Float64Array;
  /** Second channel's history (pair mode only). */
  private readonly buf2: Float64Array | null;
  private readonly pairOut = new Float64Array(2);
  /** Absolute input index of buf[0] (negative at the start: leading zeros). */
  private bufStart: number;
  private bufLen: number;
  private inCount = 0;
  private outCount = 0;
  /** Next output's integer input position j_k and phase φ_k ∈ [0, L). */
  private j: number;
  private phase: number;
  private readonly stepInt: number;
  private readonly stepRem: number;
  /** Byte address of this filter's table for the WASM kernel, −1 for the JS kernel (fixed for the stream's life). */
  private readonly wasmPtr: number;
  private finished = false;

  /**
   * @param outputLength total output for a total input of n samples (default round(n·L/M), i.e.
   *   resampledLength).
   * @param channels 1, or 2 to filter a pair of equal-length signals together (pushPairInto).
   */
  constructor(filter: PolyphaseFilter, outputLength?: (n: number) => number, channels: 1 | 2 = 1) {
    this.f = filter;
    const { up, down } = filter;
    if (filter.phases !== up && channels === 2) throw new RangeError('PolyphaseResampler: pair mode needs an exact phase table');
    this.outputLength = outputLength ?? ((n) => resampledLength(n, down, up));
    this.stepInt = Math.floor(down / up);
    this.stepRem = down % up;
    this.phase = filter.offset % up;
    this.j = (filter.offset - this.phase) / up;
    // Room for one row of history plus a chunk: after every chunk everything before the next
    // output's first tap is dropped, and what is left is shorter than one row.
    const size = filter.taps + this.stepInt + 2 + CHUNK;
    this.buf = new Float64Array(size);
    this.buf2 = channels === 2 ? new Float64Array(size) : null;
    this.wasmPtr = wasmTable(filter);
    // Start with zeros covering every index the first output may read before x[0].
    this.bufStart = Math.min(0, this.j - filter.lead);
    this.bufLen = -this.bufStart;
  }

  /** Compute outputs whose last tap is below absolute input index `end`, at most `limit`, into out[outPos…]. */
  private produce(end: number, limit: number, out: SampleArray, out2: SampleArray | null, outPos: number): number {
    const { coefs, taps, lead, up, phases } = this.f;
    const buf = this.buf;
    const buf2 = this.buf2;
    const pairOut = this.pairOut;
    const exact = phases === up;
    let { j, phase } = this;
    let k = 0;
    const lastNeeded = taps - 1 - lead; // output at j needs input up to j + lastNeeded
    if (this.wasmPtr >= 0) return this.produceWasm(end, limit, out, out2, outPos);
    while (k < limit && j + lastNeeded < end) {
      const xb = j - lead - this.bufStart;
      if (buf2 && out2) {
        dotPair(coefs, phase * taps, buf, buf2, xb, taps, pairOut);
        out[outPos + k] = pairOut[0];
        out2[outPos + k] = pairOut[1];
      } else if (exact) {
        out[outPos + k] = dot(coefs, phase * taps, buf, xb, taps);
      } else {
        // Linear interpolation between the two table rows around fraction φ/L.
        const pos = (phase * phases) / up;
        const row = Math.floor(pos);
        const a = pos - row;
        const d0 = dot(coefs, row * taps, buf, xb, taps);
        const d1 = dot(coefs, (row + 1) * taps, buf, xb, taps);
        out[outPos + k] = d0 + a * (d1 - d0);
      }
      k++;
      j += this.stepInt;
      phase += this.stepRem;
      if (phase >= up) {
        phase -= up;
        j++;
      }
    }
    this.j = j;
    this.phase = phase;
    return k;
  }

  /** `produce` on the WASM kernel: batches of up to WASM_OUT outputs over a copy of their history. */
  private produceWasm(end: number, limit: number, out: SampleArray, out2: SampleArray | null, outPos: number): number {
    const kern = kernel as Kernel;
    const { taps, lead, up } = this.f;
    const lastNeeded = taps - 1 - lead;
    let produced = 0;
    for (;;) {
      // Count this batch's outputs and find where it leaves the cursor (cheap: no arithmetic on samples).
      let { j, phase } = this;
      let count = 0;
      const cap = Math.min(limit - produced, WASM_OUT);
      while (count < cap && j + lastNeeded < end) {
        count++;
        j += this.stepInt;
        phase += this.stepRem;
        if (phase >= up) {
          phase -= up;
          j++;
        }
      }
      if (count === 0) return produced;
      const from = this.j - lead - this.bufStart;
      const to = Math.min(this.bufLen, j - this.stepInt - 1 - lead - this.bufStart + taps + 1);
      const mem = kern.mem.buffer;
      new Float64Array(mem, HIST_X, to - from).set(this.buf.subarray(from, to));
      let endPhase: number;
      if (this.buf2 && out2) {
        new Float64Array(mem, HIST_Y, to - from).set(this.buf2.subarray(from, to));
        endPhase = kern.run2(this.wasmPtr, taps, up, this.stepInt, this.stepRem, this.phase, HIST_X, HIST_Y, OUT_X, OUT_Y, count);
        out2.set(new Float64Array(mem, OUT_Y, count), outPos + produced);
      } else {
        endPhase = kern.run(this.wasmPtr, taps, up, this.stepInt, this.stepRem, this.phase, HIST_X, OUT_X, count);
      }
      if (endPhase !== phase) throw new Error('PolyphaseResampler: WASM kernel lost the phase');
      out.set(new Float64Array(mem, OUT_X, count), outPos + produced);
      produced += count;
      this.j = j;
      this.phase = phase;
    }
  }

  /** Drop history that no future output reads. */
  private compact(): void {
    const keepFrom = Math.min(this.j - this.f.lead, this.bufStart + this.bufLen);
    const drop = keepFrom - this.bufStart;
    if (drop <= 0) return;
    this.buf.copyWithin(0, drop, this.bufLen);
    this.buf2?.copyWithin(0, drop, this.bufLen);
    this.bufStart += drop;
    this.bufLen -= drop;
  }

  private static copyIn(dst: Float64Array, at: number, src: ArrayLike<number> | null, off: number, n: number): void {
    if (src === null) dst.fill(0, at, at + n);
    else if (src instanceof Float32Array || src instanceof Float64Array) dst.set(src.subarray(off, off + n), at);
    else for (let i = 0; i < n; i++) dst[at + i] = src[off + i];
  }

  /**
   * Append `count` samples of x (and y in pair mode; zeros when null) and compute outputs into
   * out[outPos…], at most `limit`.
   */
  private feed(
    x: ArrayLike<number> | null,
    y: ArrayLike<number> | null,
    count: number,
    out: SampleArray,
    out2: SampleArray | null,
    outPos: number,
    limit: number,
  ): number {
    let produced = 0;
    let off = 0;
    while (off < count) {
      this.compact();
      const n = Math.min(count - off, this.buf.length - this.bufLen);
      if (n === 0) throw new Error('PolyphaseResampler: history buffer full');
      PolyphaseResampler.copyIn(this.buf, this.bufLen, x, off, n);
      if (this.buf2) PolyphaseResampler.copyIn(this.buf2, this.bufLen, y, off, n);
      this.bufLen += n;
      off += n;
      produced += this.produce(this.bufStart + this.bufLen, limit - produced, out, out2, outPos + produced);
      // Flushing stops at the target length; real input is always consumed whole.
      if (x === null && produced >= limit) break;
    }
    return produced;
  }

  /** How many outputs a push of n more samples will return (exact). */
  outputsFor(n: number): number {
    const end = this.inCount + n;
    const lastNeeded = this.f.taps - 1 - this.f.lead;
    // Outputs k with j_k ≤ end − 1 − lastNeeded, i.e. k·M + offset < (end − lastNeeded)·L.
    const bound = (end - lastNeeded) * this.f.up - this.f.offset;
    const total = bound <= 0 ? 0 : Math.ceil(bound / this.f.down);
    return Math.max(0, Math.min(total, this.outputLength(end)) - this.outCount);
  }

  /** Push input; returns the outputs completed by it. */
  push(x: ArrayLike<number>): Float32Array {
    const out = new Float32Array(this.outputsFor(x.length));
    const got = this.pushInto(x, out, 0);
    if (got !== out.length) throw new Error(`PolyphaseResampler: produced ${got}, expected ${out.length}`);
    return out;
  }

  /** Push input, writing the completed outputs into out[outPos…] (room for outputsFor(x.length)); returns the count. */
  pushInto(x: ArrayLike<number>, out: SampleArray, outPos: number): number {
    if (this.buf2) throw new Error('PolyphaseResampler: pair mode takes pushPairInto');
    return this.pushBoth(x, null, out, null, outPos);
  }

  /** Pair mode: push equal-length blocks of both signals; outputs go to outX/outY at outPos. */
  pushPairInto(x: ArrayLike<number>, y: ArrayLike<number>, outX: SampleArray, outY: SampleArray, outPos: number): number {
    if (!this.buf2) throw new Error('PolyphaseResampler: pushPairInto needs pair mode');
    if (x.length !== y.length) throw new RangeError(`PolyphaseResampler: pair lengths differ (${x.length} and ${y.length})`);
    return this.pushBoth(x, y, outX, outY, outPos);
  }

  private pushBoth(x: ArrayLike<number>, y: ArrayLike<number> | null, out: SampleArray, out2: SampleArray | null, outPos: number): number {
    if (this.finished) throw new Error('PolyphaseResampler: push after finish');
    const limit = this.outputLength(this.inCount + x.length) - this.outCount;
    const got = this.feed(x, y, x.length, out, out2, outPos, limit);
    this.inCount += x.length;
    this.outCount += got;
    return got;
  }

  /** Remaining outputs after the last push (zeros after the end of the input). */
  finish(): Float32Array {
    const out = new Float32Array(Math.max(0, this.outputLength(this.inCount) - this.outCount));
    this.finishInto(out, 0);
    return out;
  }

  /** Write the remaining outputs to out[outPos…] (and out2 in pair mode); returns the count. */
  finishInto(out: SampleArray, outPos: number, out2: SampleArray | null = null): number {
    if (this.finished) throw new Error('PolyphaseResampler: finish called twice');
    if (this.buf2 && !out2) throw new Error('PolyphaseResampler: pair mode needs two outputs');
    this.finished = true;
    const target = this.outputLength(this.inCount) - this.outCount;
    let got = 0;
    // The last output reads at most one row past its position and advances M/L inputs per output.
    const maxRounds = 2 + Math.ceil((this.f.taps + target * (this.f.down / this.f.up) + 1) / CHUNK);
    for (let round = 0; got < target; round++) {
      if (round > maxRounds) throw new Error(`PolyphaseResampler: flush produced ${got} of ${target}`);
      got += this.feed(null, null, CHUNK, out, out2, outPos + got, target - got);
    }
    this.outCount += got;
    return got;
  }
}

/**
 * One-shot conversion of a whole signal (pure) into `out`, whose length is the output length
 * wanted (round(n·L/M) for our filters; the Octave-style design uses ceil).
 */
export function resamplePolyphaseInto(x: ArrayLike<number>, filter: PolyphaseFilter, out: SampleArray): void {
  const r = new PolyphaseResampler(filter, () => out.length);
  const head = r.pushInto(x, out, 0);
  r.finishInto(out, head);
}

/** One-shot conversion of a whole signal (pure): output length outputLength(x.length) (default round(n·L/M)). */
export function resamplePolyphase(x: ArrayLike<number>, filter: PolyphaseFilter, outputLength?: (n: number) => number): Float32Array {
  const len = (outputLength ?? ((n: number) => resampledLength(n, filter.down, filter.up)))(x.length);
  const out = new Float32Array(len);
  resamplePolyphaseInto(x, filter, out);
  return out;
}

/** Two equal-length signals through the same filter in one pass (identical results to two calls up to summation order). */
export function resamplePolyphasePairInto(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  filter: PolyphaseFilter,
  outX: SampleArray,
  outY: SampleArray,
): void {
  if (outX.length !== outY.length) throw new RangeError('resamplePolyphasePairInto: output lengths differ');
  const r = new PolyphaseResampler(filter, () => outX.length, 2);
  const head = r.pushPairInto(x, y, outX, outY, 0);
  r.finishInto(outX, head, outY);
}

/**
 * A polyphase table for an arbitrary causal FIR h[0…len−1] at the up-sampled rate L·fromRate
 * (h already includes the interpolation gain L), output k at up-sampled position k·M + offset:
 *   y[k] = Σ_j x[j]·h[k·M + offset − j·L].
 * Used for filters designed elsewhere (the Octave-compatible STOI resampler).
 */
export function polyphaseFromFir(h: ArrayLike<number>, up: number, down: number, offset: number, key?: string): PolyphaseFilter {
  if (!(Number.isInteger(up) && Number.isInteger(down) && up >= 1 && down >= 1 && gcd(up, down) === 1)) {
    throw new RangeError(`polyphaseFromFir: L/M must be coprime positive integers, got ${up}/${down}`);
  }
  if (!(Number.isInteger(offset) && offset >= 0)) throw new RangeError(`polyphaseFromFir: offset must be a non-negative integer`);
  // Row φ multiplies x[j − (taps−1) … j] (j = ⌊position/L⌋): element m holds h[φ + (taps−1−m)·L]
  // (0 past the end of h). Rows are rounded up to a multiple of 8 for the SIMD kernel: the extra
  // leading elements index past the end of h, so they are zeros.
  const taps = 8 * Math.ceil((Math.floor((h.length - 1) / up) + 1) / 8);
  const coefs = new Float64Array(up * taps);
  for (let phase = 0; phase < up; phase++) {
    for (let m = 0; m < taps; m++) {
      const idx = phase + (taps - 1 - m) * up;
      coefs[phase * taps + m] = idx < h.length ? h[idx] : 0;
    }
  }
  return { up, down, taps, lead: taps - 1, offset, phases: up, coefs, key: key === undefined ? undefined : `fir:${key}` };
}

const designCache = new Map<string, DesignedResampler>();

/** Our filter for fromRate → toRate with default options, designed once per rate pair (immutable). */
export function cachedResamplerFilter(fromRate: number, toRate: number): DesignedResampler {
  const key = `${fromRate}:${toRate}`;
  let f = designCache.get(key);
  if (!f) {
    f = designResamplerFilter(fromRate, toRate);
    designCache.set(key, f);
  }
  return f;
}
