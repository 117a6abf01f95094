/**
 * Harmonic post-filter (issue 12): a causal one-tap comb on the decoded signal,
 *   z[n] = (y[n] + a·y[n − T]) / (1 + a),
 * which passes a signal of period T unchanged and lowers what lies between its harmonics
 * (coarse quantization noise and noise fill) by up to (1 − a)/(1 + a). Like the long-term
 * post-filters of AMR-WB/EVS it costs no bits: the period comes from the harmonic comb lag already
 * in the stream (spacing P = 3.0 + 0.1·i bins of 25 Hz, so T₀ = 640/P samples, DESIGN §1 item 3),
 * refined on the decoded signal by normalised correlation over ±6 % of T₀ with a parabolic
 * fractional step; a = strength × correlation, 0 below MIN_CORRELATION or when the comb is off.
 * Written as z = y + LP(k·(y[n − T] − y[n])), k = a/(1 + a): with LP a 2nd-order Butterworth
 * low-pass (cutoff > 0) only the band below it is filtered, which keeps the finely coded high
 * band (pSNR, STOI) intact; cutoff 0 filters the whole band. Its phase shift spoils the
 * cancellation above ~1.5 kHz, so from 13.2 kbit/s the decoder instead passes the band signal
 * (its MDCT bins below a split, through a second IMDCT: no phase error) and the filter takes the
 * correction from it (apply's `band`, `source`). Parameters move across a frame
 * boundary by a crossfade of the two corrections over FADE samples. Output-only: Math.* is fine here (determinism audit in docs/bitstream.md).
 */
import { Biquad } from '../dsp/biquad.js';
import { combSpacing } from '../model/entropy-model.js';

/** One MDCT bin is 25 Hz at 16 kHz / 320 bins: T₀ = 16000 / (25·P) = 640/P samples. */
const SAMPLES_PER_BIN_PERIOD = 640;
const SEARCH_SPAN = 0.06;
const MIN_CORRELATION = 0.3;
const FADE = 64;
/** Longest period searched (P = 3.0 → 213 samples, +6 %), plus interpolation margin. */
const MAX_PERIOD = 232;

export class HarmonicPostFilter {
  private readonly hop: number;
  /** Unfiltered decoded samples: MAX_PERIOD + 1 of history, then the current frame. */
  private readonly buf: Float64Array;
  /** The same for the correction's own source, when apply() is given one (else buf). */
  private readonly sbuf: Float64Array;
  private readonly corr = new Float64Array(MAX_PERIOD + 3);
  private prevT = 0;
  private prevA = 0;
  /** Period and tap analyse() chose for the current frame. */
  private curT = 0;
  private curA = 0;
  /** Band limit of the correction (cutoffHz > 0), or null. */
  private readonly lp: Biquad | null;

  constructor(hop: number, cutoffHz = 0, sampleRate = 16000) {
    this.hop = hop;
    this.buf = new Float64Array(MAX_PERIOD + 2 + hop);
    this.sbuf = new Float64Array(MAX_PERIOD + 2 + hop);
    this.lp = cutoffHz > 0 && cutoffHz < sampleRate / 2 ? Biquad.lowPass(cutoffHz, sampleRate) : null;
  }

  /**
   * Filter one frame `y` (hop samples) in place. `combLag` is the frame's comb lag index, or −1;
   * `strength` (0 … 1) scales the tap. With `band` (hop samples: the low band of the same frame,
   * synthesized from its MDCT bins below a split, see decoder.ts) the period is refined on and
   * the correction k·(b[n − T] − b[n]) taken from the band signal b, so the correction has no
   * phase error against y; use cutoffHz 0 then (one filter keeps one kind of history). With
   * `source` too, the period is refined on `band` and the correction taken from `source` (e.g.
   * the band with its coded bins weighted down). Pass the same kinds of argument every frame.
   */
  apply(y: Float32Array, combLag: number, strength: number, band?: ArrayLike<number>, source?: ArrayLike<number>): void {
    this.analyse(y, combLag, strength, band);
    this.correct(y, source);
  }

  /**
   * First half of apply(): take the frame into the history and choose the period and tap.
   * Returns whether the frame gets a correction (its tap or the previous frame's is nonzero);
   * when it does not, the caller may call skip() instead of correct() and need not produce the
   * correction's source for this frame.
   */
  analyse(y: Float32Array, combLag: number, strength: number, band?: ArrayLike<number>): boolean {
    const { hop, buf } = this;
    const H = MAX_PERIOD + 2;
    const src = band ?? y;
    buf.copyWithin(0, hop);
    for (let n = 0; n < hop; n++) buf[H + n] = src[n];
    let T = 0;
    let a = 0;
    if (combLag >= 0 && strength > 0) {
      const t0 = SAMPLES_PER_BIN_PERIOD / combSpacing(combLag);
      const lo = Math.max(2, Math.floor(t0 * (1 - SEARCH_SPAN)));
      const hi = Math.min(MAX_PERIOD - 1, Math.ceil(t0 * (1 + SEARCH_SPAN)));
      let e0 = 0;
      for (let n = 0; n < hop; n++) e0 += buf[H + n] * buf[H + n];
      let best = -Infinity;
      let bestT = 0;
      const corr = this.corr;
      for (let t = lo - 1; t <= hi + 1; t++) {
        let xy = 0;
        let yy = 0;
        for (let n = 0; n < hop; n++) {
          const d = buf[H + n - t];
          xy += buf[H + n] * d;
          yy += d * d;
        }
        const c = e0 > 0 && yy > 0 ? xy / Math.sqrt(e0 * yy) : 0;
        corr[t - lo + 1] = c;
        if (t >= lo && t <= hi && c > best) {
          best = c;
          bestT = t;
        }
      }
      if (best >= MIN_CORRELATION) {
        // Parabolic peak of the correlation around bestT (fractional period).
        const cm = corr[bestT - lo];
        const cp = corr[bestT - lo + 2];
        const den = cm - 2 * best + cp;
        const frac = den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (cm - cp)) / den)) : 0;
        T = bestT + frac;
        a = strength * Math.min(1, best);
      }
    }
    this.curT = T;
    this.curA = a;
    return a > 0 || this.prevA > 0;
  }

  /** Second half of apply() after analyse() returned false: no correction, the source's history goes stale. */
  skip(): void {
    this.prevT = this.curT;
    this.prevA = this.curA;
  }

  /**
   * Second half of apply(): add the correction to y. It is taken from `source` (this frame's
   * samples of the correction's own signal), or from the analysed signal when undefined.
   * `previous`, the source's samples of the frame before, must be given after skip() (the
   * history of the source is stale then).
   */
  correct(y: Float32Array, source?: ArrayLike<number>, previous?: ArrayLike<number>): void {
    const { hop, buf } = this;
    const H = MAX_PERIOD + 2;
    let cb = buf;
    if (source !== undefined) {
      cb = this.sbuf;
      if (previous !== undefined) for (let n = 0; n < H; n++) cb[n] = previous[hop - H + n];
      else cb.copyWithin(0, hop);
      for (let n = 0; n < hop; n++) cb[H + n] = source[n];
    }
    const T = this.curT;
    const a = this.curA;
    const pT = this.prevT;
    const pA = this.prevA;
    const k = a / (1 + a);
    const pk = pA / (1 + pA);
    const lp = this.lp;
    for (let n = 0; n < hop; n++) {
      const x = cb[H + n];
      let c = k > 0 ? k * (delayed(cb, H + n, T) - x) : 0;
      if (n < FADE && (pA !== a || pT !== T)) {
        const old = pk > 0 ? pk * (delayed(cb, H + n, pT) - x) : 0;
        c = old + ((n + 0.5) / FADE) * (c - old);
      }
      y[n] += lp !== null ? lp.step(c) : c;
    }
    this.prevT = T;
    this.prevA = a;
  }
}

/** buf at position p − T with linear interpolation (T fractional). */
function delayed(buf: Float64Array, p: number, T: number): number {
  const q = p - T;
  const i = Math.floor(q);
  const f = q - i;
  return buf[i] + f * (buf[i + 1] - buf[i]);
}
