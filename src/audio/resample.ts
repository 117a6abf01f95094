/**
 * Band-limited sample-rate conversion for the codec's input and output (issue 2:
 * decodeAudioData's own resampling aliases), on our Kaiser-windowed polyphase engine
 * (src/dsp/polyphase-resampler.ts, WebAssembly SIMD kernel). It replaced libsamplerate's
 * SRC_SINC_BEST_QUALITY, which met the same quality targets but ran at only 4–20× real time;
 * bench:dsp times both in the same run (66–91× faster by CPU time in one run for 48/44.1/22.05 kHz
 * → 16 kHz and 16 → 48 kHz on the 2-core build machine).
 *
 * Guarantees (test/audio-resample.test.ts): passband flat within ±0.01 dB up to 7/8 of the lower
 * Nyquist frequency (7 kHz for 16 kHz), ≥ 80 dB rejection from the lower Nyquist up (8 kHz),
 * zero delay (output sample k is the input at time k·from/to), output length exactly
 * `resampledLength(n, from, to)` = round(n·to/from), and a streaming converter whose
 * concatenated output is bit-identical to the whole-signal result.
 */
import {
  cachedResamplerFilter,
  checkRates,
  PolyphaseResampler,
  resamplePolyphase,
  resampledLength,
} from '../dsp/polyphase-resampler.js';

export { checkRates, resampledLength };

/**
 * Resample a whole mono signal. Output length is resampledLength(x.length, fromRate, toRate);
 * output sample k is aligned with input time k·fromRate/toRate (no delay). Equal rates return a
 * copy. Async for interface stability (the previous engine instantiated WebAssembly).
 */
export async function resample(x: Float32Array, fromRate: number, toRate: number): Promise<Float32Array> {
  checkRates(fromRate, toRate);
  if (fromRate === toRate) return x.slice();
  return resamplePolyphase(x, cachedResamplerFilter(fromRate, toRate), (n) => resampledLength(n, fromRate, toRate));
}

/**
 * Stateful converter for streaming input: push blocks as they arrive, then `finish()`. The
 * concatenated output equals `resample(whole input)` exactly, with the same length. State is
 * bounded (one filter's worth of input history).
 */
export class StreamResampler {
  private disposed = false;

  private constructor(private readonly engine: PolyphaseResampler | undefined) {}

  static async create(fromRate: number, toRate: number): Promise<StreamResampler> {
    checkRates(fromRate, toRate);
    if (fromRate === toRate) return new StreamResampler(undefined);
    const filter = cachedResamplerFilter(fromRate, toRate);
    return new StreamResampler(new PolyphaseResampler(filter, (n) => resampledLength(n, fromRate, toRate)));
  }

  push(x: Float32Array): Float32Array {
    if (this.disposed) throw new Error('StreamResampler: push after finish');
    return this.engine ? this.engine.push(x) : x.slice();
  }

  finish(): Float32Array {
    if (this.disposed) throw new Error('StreamResampler: finish called twice');
    const tail = this.engine ? this.engine.finish() : new Float32Array(0);
    this.dispose();
    return tail;
  }

  /** Release the converter (nothing native to free any more; kept for callers' try/finally). */
  dispose(): void {
    this.disposed = true;
  }
}
