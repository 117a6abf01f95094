/**
 * Streaming MDCT analysis and synthesis with overlap-add, and whole-signal helpers, using the
 * zero-delay framing of DESIGN §1 (pitfalls): the signal is preceded by one hop (N samples)
 * of zeros, frame j covers padded samples [jN, jN + 2N), a signal of L samples has
 * ceil(L/N) + 1 frames, and the reconstruction is overlap-add samples [N, N + L).
 * Memory is bounded: the analyzer keeps one 2N block, the synthesizer one N-sample tail.
 */

import { Mdct } from './mdct.js';
import { HOP } from './window.js';

/** Number of MDCT frames for a signal of `length` samples: ceil(length/n) + 1. */
export function frameCount(length: number, n: number = HOP): number {
  return Math.ceil(length / n) + 1;
}

/**
 * Pushes raw samples in any chunk sizes and returns each MDCT frame (n coefficients) as soon
 * as its 2n-sample block is complete. flush() zero-pads the tail so that exactly
 * ceil(L/n) + 1 frames come out in total, then resets for a new signal.
 */
export class MdctAnalyzer {
  readonly n: number;
  private readonly mdct: Mdct;
  private readonly block: Float64Array;
  /** Samples currently in `block` (n after a reset: the zero-delay padding). */
  private fill: number;
  private pushed = 0;
  private emitted = 0;

  constructor(n: number = HOP) {
    this.n = n;
    this.mdct = new Mdct(n);
    this.block = new Float64Array(2 * n);
    this.fill = n;
  }

  push(samples: ArrayLike<number>): Float64Array[] {
    const frames: Float64Array[] = [];
    const n2 = 2 * this.n;
    let i = 0;
    const len = samples.length;
    while (i < len) {
      const take = Math.min(n2 - this.fill, len - i);
      for (let t = 0; t < take; t++) this.block[this.fill + t] = samples[i + t];
      this.fill += take;
      i += take;
      if (this.fill === n2) frames.push(this.emit());
    }
    this.pushed += len;
    return frames;
  }

  flush(): Float64Array[] {
    const frames: Float64Array[] = [];
    const target = frameCount(this.pushed, this.n);
    while (this.emitted < target) {
      this.block.fill(0, this.fill);
      this.fill = 2 * this.n;
      frames.push(this.emit());
    }
    this.block.fill(0);
    this.fill = this.n;
    this.pushed = 0;
    this.emitted = 0;
    return frames;
  }

  private emit(): Float64Array {
    const out = new Float64Array(this.n);
    this.mdct.forward(this.block, out);
    this.block.copyWithin(0, this.n);
    this.fill = this.n;
    this.emitted++;
    return out;
  }
}

/**
 * Turns MDCT frames back into samples by IMDCT and overlap-add. push(frame j) returns n
 * samples: padded samples [jN, jN + N), i.e. signal samples [(j−1)N, jN). The first call's
 * output is the front padding (zero for a clean signal); a zero-delay decoder drops it.
 */
export class MdctSynthesizer {
  readonly n: number;
  private readonly mdct: Mdct;
  private readonly block: Float64Array;
  private readonly tail: Float64Array;

  constructor(n: number = HOP) {
    this.n = n;
    this.mdct = new Mdct(n);
    this.block = new Float64Array(2 * n);
    this.tail = new Float64Array(n);
  }

  push(coeffs: ArrayLike<number>): Float64Array {
    const n = this.n;
    this.mdct.inverse(coeffs, this.block);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.tail[i] + this.block[i];
    this.tail.set(this.block.subarray(n));
    return out;
  }

  /**
   * The overlap tail the next push adds to its output (n samples; a view, not a copy: do not
   * write). Its first n/4 samples are final output with the low-overlap window, whose next block
   * starts with n/4 zeros (packet-loss concealment reads them).
   */
  peekTail(): Float64Array {
    return this.tail;
  }

  /** Forget the overlap tail (start of a new signal). */
  reset(): void {
    this.tail.fill(0);
  }
}

/** All ceil(L/n) + 1 MDCT frames of a whole signal (zero-delay framing). */
export function analyzeSignal(x: ArrayLike<number>, n: number = HOP): Float64Array[] {
  const a = new MdctAnalyzer(n);
  const frames = a.push(x);
  for (const f of a.flush()) frames.push(f);
  return frames;
}

/**
 * Inverse of analyzeSignal: overlap-add samples [n, n + length). Missing trailing frames
 * count as zeros; frames beyond those needed are ignored.
 */
export function synthesizeSignal(frames: ArrayLike<number>[], length: number, n: number = HOP): Float64Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`synthesizeSignal: bad length ${length}`);
  const out = new Float64Array(length);
  const mdct = new Mdct(n);
  const block = new Float64Array(2 * n);
  const used = Math.min(frames.length, frameCount(length, n));
  for (let j = 0; j < used; j++) {
    mdct.inverse(frames[j], block);
    // Frame j's block starts at padded sample jN = output sample (j−1)N.
    const start = (j - 1) * n;
    const lo = Math.max(0, -start);
    const hi = Math.min(2 * n, length - start);
    for (let i = lo; i < hi; i++) out[start + i] += block[i];
  }
  return out;
}
