/**
 * Decoder-side pre-echo suppression (issue 12): no bits, no delay, output values only.
 *
 * A frame's quantization noise spreads over its whole window. At an onset the frame's steps are
 * coarse (its noise is many times the previous frame's), and that noise lands in the quiet
 * samples before the onset, which the previous frame coded finely: a pre-echo, the largest PESQ
 * disturbance at 24.4 and 32 kbit/s (docs/quality.md "Pre-echo suppression"). The decoder knows
 * what noise to expect there: the IMDCT is orthonormal, so coefficient noise of energy Σσ² comes
 * out with w[m]²·Σσ²/n per sample (w: the window). In each 2.5 ms block of the finished segment
 * that is quiet next to what follows, it scales the output by a Wiener-like gain
 * √max(floor, 1 − α·noise/energy); with a band split, only the output minus its low-pass
 * (what lies above splitHz), which leaves the low band STOI weighs most as it was.
 */
import { Biquad } from '../dsp/biquad.js';
import { lowOverlapWindow } from '../dsp/window.js';

export interface PreEchoSettings {
  /** α of the gain (0 = off). */
  strength: number;
  /** The frame's noise energy must exceed the previous good frame's by this factor. */
  onsetRatio: number;
  /** A block is treated only if a later block (of this segment or the frame's tail) has this many times its energy. */
  contrast: number;
  /** Smallest gain, as a power ratio. */
  floor: number;
  /** When > 0, the gain acts on the signal above this frequency only (a complementary low-pass split). */
  splitHz?: number;
}

/** Block length in samples (2.5 ms at 16 kHz); divides the segment. */
export const PRE_ECHO_BLOCK = 40;
/** Input samples the band split's low-pass runs over before a treated segment (4 ms). */
const SPLIT_WARM_UP = 64;

export class PreEchoSuppressor {
  private readonly n: number;
  private readonly settings: Readonly<PreEchoSettings>;
  /** Per-sample noise density of a frame's first half (w[m]²/n) and of the previous frame's second half (w[m + n]²/n), summed per block. */
  private readonly ownShare: Float64Array;
  private readonly prevShare: Float64Array;
  private readonly energy: Float64Array;
  private readonly gain: Float64Array;
  /** Noise energy of the last good frame (NaN before the first); a lost frame leaves it as it is. */
  private prevNoise = Number.NaN;
  /**
   * The band split (splitHz > 0): a low-pass whose output is left alone, that output for the
   * segment, and the last SPLIT_WARM_UP input samples before it. The filter runs only in treated
   * segments, started from rest on that history: its impulse response has fallen below 1e-9 of
   * its peak within it, so this matches filtering the whole output, at a fraction of the cost.
   */
  private readonly lp: Biquad | null;
  private readonly low: Float64Array;
  private readonly history: Float64Array;

  constructor(n: number, settings: Readonly<PreEchoSettings>) {
    if (n % PRE_ECHO_BLOCK !== 0) throw new RangeError(`PreEchoSuppressor: ${n} samples are not whole ${PRE_ECHO_BLOCK}-sample blocks`);
    this.n = n;
    this.settings = settings;
    const w = lowOverlapWindow(n);
    const blocks = n / PRE_ECHO_BLOCK;
    this.ownShare = new Float64Array(blocks);
    this.prevShare = new Float64Array(blocks);
    for (let b = 0; b < blocks; b++) {
      for (let m = b * PRE_ECHO_BLOCK; m < (b + 1) * PRE_ECHO_BLOCK; m++) {
        this.ownShare[b] += (w[m] * w[m]) / n;
        this.prevShare[b] += (w[m + n] * w[m + n]) / n;
      }
    }
    this.energy = new Float64Array(2 * blocks);
    this.gain = new Float64Array(blocks);
    this.low = new Float64Array(n);
    this.history = new Float64Array(SPLIT_WARM_UP);
    const f = settings.splitHz ?? 0;
    if (f > 0 && f < 2000) throw new RangeError(`PreEchoSuppressor: splitHz ${f} is below 2000 (the split's ${SPLIT_WARM_UP}-sample warm-up is sized for 2 kHz and up)`);
    this.lp = f > 0 ? Biquad.lowPass(f, 16000) : null;
  }

  /** Keep the end of an output segment for the band split (process() does; the decoder calls it on concealed segments). */
  track(y: ArrayLike<number>): void {
    if (this.lp === null) return;
    for (let i = 0; i < SPLIT_WARM_UP; i++) this.history[i] = y[this.n - SPLIT_WARM_UP + i];
  }

  /** The low band of segment y into this.low: the low-pass from rest over the history, then y. */
  private splitLow(y: ArrayLike<number>): void {
    const lp = this.lp!;
    lp.reset();
    for (let i = 0; i < SPLIT_WARM_UP; i++) lp.step(this.history[i]);
    for (let m = 0; m < this.n; m++) this.low[m] = lp.step(y[m]);
  }

  /**
   * Treat `y`, the segment a good frame has just completed (in place), given the frame's tail
   * (its second half, `n` samples) and its coefficient noise energy Σσ².
   */
  process(y: Float32Array, tail: ArrayLike<number>, noise: number): void {
    const s = this.settings;
    const prev = this.prevNoise;
    this.prevNoise = noise;
    const treat = s.strength > 0 && noise > s.onsetRatio * prev && this.chooseGains(y, tail, noise, prev);
    if (treat && this.lp !== null) this.splitLow(y);
    this.track(y);
    if (!treat) return;
    // Interpolate between block centres so that the gain has no steps.
    const blocks = this.n / PRE_ECHO_BLOCK;
    const gain = this.gain;
    for (let m = 0; m < this.n; m++) {
      const pos = (m + 0.5) / PRE_ECHO_BLOCK - 0.5;
      const b0 = pos <= 0 ? 0 : Math.min(blocks - 1, Math.floor(pos));
      const b1 = Math.min(blocks - 1, b0 + 1);
      const f = pos <= b0 ? 0 : pos >= b1 ? 1 : pos - b0;
      const gm = gain[b0] * (1 - f) + gain[b1] * f;
      if (this.lp !== null) y[m] = this.low[m] + gm * (y[m] - this.low[m]);
      else y[m] *= gm;
    }
  }

  /** Each block's gain after an onset frame, into this.gain; whether any is below 1. */
  private chooseGains(y: Float32Array, tail: ArrayLike<number>, noise: number, prev: number): boolean {
    const s = this.settings;
    const blocks = this.n / PRE_ECHO_BLOCK;
    const { energy, gain } = this;
    for (let b = 0; b < blocks; b++) {
      let e = 0;
      let t = 0;
      for (let m = b * PRE_ECHO_BLOCK; m < (b + 1) * PRE_ECHO_BLOCK; m++) {
        e += y[m] * y[m];
        t += tail[m] * tail[m];
      }
      energy[b] = e;
      energy[blocks + b] = t;
    }
    let any = false;
    for (let b = 0; b < blocks; b++) {
      gain[b] = 1;
      const e = energy[b];
      if (!(e > 0)) continue;
      let later = 0;
      for (let q = b + 1; q < 2 * blocks; q++) if (energy[q] > later) later = energy[q];
      if (later < s.contrast * e) continue;
      const expected = noise * this.ownShare[b] + prev * this.prevShare[b];
      const g2 = 1 - (s.strength * expected) / e;
      gain[b] = Math.sqrt(g2 > s.floor ? (g2 < 1 ? g2 : 1) : s.floor);
      if (gain[b] < 1) any = true;
    }
    return any;
  }
}
