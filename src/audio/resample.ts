/**
 * Band-limited sample-rate conversion with libsamplerate's WebAssembly port,
 * SRC_SINC_BEST_QUALITY (issue 2: decodeAudioData's own resampling aliases).
 *
 * libsamplerate's sinc converter is zero-delay (output sample k is the input at time k·from/to)
 * but holds back about half a filter length of input until more arrives. Its JS wrapper never
 * sets end_of_input in the streaming (`full`) API, and its one-shot (`simple`) API falls back to
 * that same streaming API for long inputs, silently dropping the tail. So both the whole-signal
 * and the streaming path here feed the input through `full` and then flush with zeros (exactly
 * what end_of_input does inside libsamplerate) until precisely
 * `resampledLength(n, from, to)` = round(n·to/from) samples have come out.
 */
import lsr from '@alexanderolsen/libsamplerate-js';
import { UserError } from '../errors.js';

type Converter = Awaited<ReturnType<typeof lsr.create>>;

const CONVERTER_TYPE = lsr.ConverterType.SRC_SINC_BEST_QUALITY;
/** libsamplerate supports conversion ratios in [1/256, 256]. */
const MAX_RATIO = 256;
/** The wrapper's WASM transfer buffers hold 1,008,000 floats; stay well inside them. */
const WASM_BUFFER = 1_000_000;
const MAX_CHUNK = 65536;
const FLUSH_BLOCK = 4096;

/** UserError unless libsamplerate can convert fromRate → toRate (integer rates, ratio within 1/256..256). */
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

function inputChunk(fromRate: number, toRate: number): number {
  const ratio = toRate / fromRate;
  return Math.min(MAX_CHUNK, Math.floor(WASM_BUFFER / Math.max(1, ratio)) - 64);
}

async function newConverter(fromRate: number, toRate: number): Promise<Converter> {
  return lsr.create(1, fromRate, toRate, { converterType: CONVERTER_TYPE });
}

/**
 * Converters cached per (from, to). Safe because `resample` uses one only inside a single
 * synchronous run (no await between reset and the last sample), so calls never interleave.
 */
const converterCache = new Map<string, Promise<Converter>>();

function cachedConverter(fromRate: number, toRate: number): Promise<Converter> {
  const key = `${fromRate}:${toRate}`;
  let c = converterCache.get(key);
  if (!c) {
    c = newConverter(fromRate, toRate);
    converterCache.set(key, c);
    c.catch(() => converterCache.delete(key));
  }
  return c;
}

/** Return the converter to its initial state (src_delete + src_new on the WASM side). */
function resetConverter(src: Converter): void {
  src.module.destroy();
  src.module.init(1, CONVERTER_TYPE, src.inputSampleRate, src.outputSampleRate);
}

/**
 * Incremental conversion over one converter. `push` returns the samples completed so far;
 * `finish` flushes and returns the rest, so that the total output is exactly
 * resampledLength(total input, from, to).
 */
class ConversionRun {
  private inCount = 0;
  private outCount = 0;
  private readonly chunk: number;
  private readonly scratch: Float32Array;
  private readonly frames = { frames: 0 };

  constructor(private readonly src: Converter, private readonly fromRate: number, private readonly toRate: number) {
    this.chunk = inputChunk(fromRate, toRate);
    this.scratch = new Float32Array(Math.ceil((this.chunk * toRate) / fromRate) + 64);
  }

  /** Feed one block (of at most `chunk` samples) and append the produced samples to `sink`. */
  private feed(block: Float32Array, sink: Float32Array[]): void {
    this.src.full(block, this.scratch, this.frames);
    const n = this.frames.frames;
    if (n > 0) sink.push(this.scratch.slice(0, n));
  }

  push(x: Float32Array): Float32Array {
    const parts: Float32Array[] = [];
    for (let off = 0; off < x.length; off += this.chunk) this.feed(x.subarray(off, off + this.chunk), parts);
    this.inCount += x.length;
    return this.collect(parts, Infinity);
  }

  finish(): Float32Array {
    const target = resampledLength(this.inCount, this.fromRate, this.toRate);
    const parts: Float32Array[] = [];
    const zeros = new Float32Array(Math.min(FLUSH_BLOCK, this.chunk));
    let have = this.outCount;
    // The converter holds back half a filter (a few hundred samples); bound the loop anyway.
    for (let guard = 0; have < target && guard < 10_000; guard++) {
      const before = parts.length;
      this.feed(zeros, parts);
      for (let i = before; i < parts.length; i++) have += parts[i].length;
    }
    if (have < target) throw new Error(`resampler flush produced ${have} of ${target} samples`);
    return this.collect(parts, target - this.outCount);
  }

  /** Concatenate `parts`, keeping at most `limit` samples. */
  private collect(parts: Float32Array[], limit: number): Float32Array {
    let n = 0;
    for (const p of parts) n += p.length;
    n = Math.min(n, limit);
    const out = new Float32Array(n);
    let o = 0;
    for (const p of parts) {
      if (o >= n) break;
      const take = Math.min(p.length, n - o);
      out.set(take === p.length ? p : p.subarray(0, take), o);
      o += take;
    }
    this.outCount += n;
    return out;
  }
}

/**
 * Resample a whole mono signal with SRC_SINC_BEST_QUALITY. Output length is
 * resampledLength(x.length, fromRate, toRate); output sample k is aligned with input time
 * k·fromRate/toRate (no delay). Equal rates return a copy.
 */
export async function resample(x: Float32Array, fromRate: number, toRate: number): Promise<Float32Array> {
  checkRates(fromRate, toRate);
  if (fromRate === toRate) return x.slice();
  const src = await cachedConverter(fromRate, toRate);
  // From here to the return there is no await: the cached converter is ours alone.
  resetConverter(src);
  const run = new ConversionRun(src, fromRate, toRate);
  const head = run.push(x);
  const tail = run.finish();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * Stateful converter for streaming input: push blocks as they arrive, then `finish()`. The
 * concatenated output equals `resample(whole input)` up to float rounding, with the same length.
 * Owns its own WASM converter: call `finish()` (or `dispose()`) to free it.
 */
export class StreamResampler {
  private disposed = false;

  private constructor(
    private readonly src: Converter | undefined,
    private readonly run: ConversionRun | undefined,
  ) {}

  static async create(fromRate: number, toRate: number): Promise<StreamResampler> {
    checkRates(fromRate, toRate);
    if (fromRate === toRate) return new StreamResampler(undefined, undefined);
    const src = await newConverter(fromRate, toRate);
    return new StreamResampler(src, new ConversionRun(src, fromRate, toRate));
  }

  push(x: Float32Array): Float32Array {
    if (this.disposed) throw new Error('StreamResampler: push after finish');
    return this.run ? this.run.push(x) : x.slice();
  }

  finish(): Float32Array {
    if (this.disposed) throw new Error('StreamResampler: finish called twice');
    const tail = this.run ? this.run.finish() : new Float32Array(0);
    this.dispose();
    return tail;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.src?.destroy();
  }
}
