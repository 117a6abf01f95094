/**
 * Pitch pre-filter and post-filter (issue 12; the pairing Opus CELT uses, sized by the probe in
 * docs/quality.md). The encoder codes p[n] = x[n] − g·k(x, n − T), an FIR on its input (k: a
 * 3-tap low-pass kernel); the decoder inverts it with y[n] = ŷ[n] + g·k(y, n − T), an IIR on its
 * output, so the quantization noise takes
 * the harmonic shape of voiced speech. T and a quantized g travel in the frame that outputs the
 * segment (docs/bitstream.md). When they change, the old taps fade out and the new ones fade in
 * over the first PITCH_FADE samples of the segment, identically on both sides.
 */
import { HOP } from '../dsp/window.js';
import { estimatePitch, pitchScratchLength } from '../dsp/pitch.js';

/** Lags 32 … 320 samples (500 … 50 Hz), coded as T − 32 in 9 raw bits. */
export const PITCH_MIN_LAG = 32;
export const PITCH_MAX_LAG = 320;
export const PITCH_LAG_BITS = 9;
/**
 * Gain g per index of PITCH_GAIN_BITS bits. One fixed gain: on 11 train-clean-100 files a 2-bit
 * gain (0.15 … 0.3) scored no better than a fixed one and cost 2 bits a frame; with the kernel
 * below, 0.35 scored above 0.25 and 0.45 (docs/quality.md).
 */
export const PITCH_GAINS: readonly number[] = [0.35];
export const PITCH_GAIN_BITS = 0;
/** Pitch flag probability (P(on) = PITCH_FLAG_P1 / PITCH_FLAG_TOTAL). */
export const PITCH_FLAG_P1 = 1;
export const PITCH_FLAG_TOTAL = 2;
/** Cross-fade length: 5 ms. */
export const PITCH_FADE = 80;

/** Parameters of one segment: lag 0 means the filter is off. */
export interface PitchParams {
  lag: number;
  gainIndex: number;
}

export const PITCH_OFF: Readonly<PitchParams> = { lag: 0, gainIndex: 0 };

/** Encoder choices (never part of the format): the largest gain and the voicing threshold. */
export interface PitchTuning {
  /** g = gainMax · correlation, quantized to PITCH_GAINS; 0 turns the pre-filter off. */
  gainMax: number;
  /** The filter is on where the normalised correlation exceeds this. */
  voicing: number;
}

/** Voicing 0.8 scored best of 0.5/0.7/0.8/0.9 (docs/quality.md); gainMax only matters with a gain table. */
export const DEFAULT_PITCH_TUNING: Readonly<PitchTuning> = { gainMax: 0.3, voicing: 0.8 };

/** History the filter reads: the longest lag plus the kernel's reach of one sample. */
const HISTORY = PITCH_MAX_LAG + 1;

/** Fade-in weights: smoothstep u²(3 − 2u) at u = (i + ½)/FADE (IEEE arithmetic, same on every engine). */
const FADE_IN = (() => {
  const w = new Float64Array(PITCH_FADE);
  for (let i = 0; i < PITCH_FADE; i++) {
    const u = (i + 0.5) / PITCH_FADE;
    w[i] = u * u * (3 - 2 * u);
  }
  return w;
})();

function gainOf(p: PitchParams): number {
  return p.lag > 0 ? PITCH_GAINS[p.gainIndex] : 0;
}

/**
 * The long-term filter over one segment, shared by both sides: `buf` holds HISTORY samples
 * of history followed by the segment, and out[i] = buf[HISTORY + i] + sign·(taps). The
 * pre-filter (sign −1) writes a separate `out`, so it reads only its input (an FIR); the
 * post-filter (sign +1) passes `buf` itself with offset HISTORY, so it reads its own output (an IIR).
 */
function filterSegment(buf: Float64Array, prev: PitchParams, next: PitchParams, sign: number, out: Float64Array, offset: number): void {
  const g0 = sign * gainOf(prev);
  const g1 = sign * gainOf(next);
  const t0 = prev.lag;
  const t1 = next.lag;
  for (let i = 0; i < HOP; i++) {
    const n = HISTORY + i;
    out[offset + i] = buf[n] + tapsAt(buf, n, i, g0, t0, g1, t1);
  }
}

function tapsAt(buf: Float64Array, n: number, i: number, g0: number, t0: number, g1: number, t1: number): number {
  if (i < PITCH_FADE && (g0 !== g1 || t0 !== t1)) {
    const w = FADE_IN[i];
    let v = 0;
    if (g0 !== 0) v += g0 * (1 - w) * tap(buf, n - t0);
    if (g1 !== 0) v += g1 * w * tap(buf, n - t1);
    return v;
  }
  return g1 !== 0 ? g1 * tap(buf, n - t1) : 0;
}

/**
 * The delayed sample through a 3-tap low-pass kernel ¼, ½, ¼ (unit gain at DC, zero at 8 kHz), so
 * the filter acts on the low harmonics and leaves the noisier top band nearly alone, as CELT's
 * 3-tap filter does: +0.01 PESQ at 9.6 kbit/s, STOI and pSNR up at every rate against one tap.
 */
function tap(buf: Float64Array, m: number): number {
  return 0.5 * buf[m] + 0.25 * (buf[m - 1] + buf[m + 1]);
}

/** Encoder side: chooses each segment's parameters from its input and filters it. */
export class PitchPreFilter {
  /** Unfiltered input: HISTORY samples, then the segment. */
  private readonly buf = new Float64Array(HISTORY + HOP);
  private prev: PitchParams = PITCH_OFF;
  private readonly tuning: PitchTuning;

  constructor(tuning: Partial<PitchTuning> = {}) {
    this.tuning = { ...DEFAULT_PITCH_TUNING, ...tuning };
    const { gainMax, voicing } = this.tuning;
    if (!(gainMax >= 0 && gainMax <= 1)) throw new RangeError(`pitch gainMax must be in [0, 1], got ${gainMax}`);
    if (!(voicing >= 0 && voicing <= 1)) throw new RangeError(`pitch voicing must be in [0, 1], got ${voicing}`);
  }

  /**
   * Filter one segment of HOP input samples into `out` and return the parameters used (what the
   * frame that outputs this segment carries).
   */
  process(segment: ArrayLike<number>, out: Float64Array): PitchParams {
    const { buf } = this;
    buf.copyWithin(0, HOP);
    for (let i = 0; i < HOP; i++) buf[HISTORY + i] = segment[i];
    const next = this.choose(buf);
    filterSegment(buf, this.prev, next, -1, out, 0);
    this.prev = next;
    return next;
  }

  /** Forget the history (a new signal follows). */
  reset(): void {
    this.buf.fill(0);
    this.prev = PITCH_OFF;
  }

  private choose(input: Float64Array): PitchParams {
    const { gainMax, voicing } = this.tuning;
    if (gainMax === 0) return PITCH_OFF;
    const est = estimatePitch(input, HISTORY, HOP, PITCH_MIN_LAG, PITCH_MAX_LAG, this.decimated);
    if (!(est.correlation > voicing)) return PITCH_OFF;
    const g = gainMax * Math.min(1, est.correlation);
    let gainIndex = 0;
    for (let i = 1; i < PITCH_GAINS.length; i++) if (Math.abs(PITCH_GAINS[i] - g) < Math.abs(PITCH_GAINS[gainIndex] - g)) gainIndex = i;
    return { lag: est.lag, gainIndex };
  }

  private readonly decimated = new Float64Array(pitchScratchLength(HOP, PITCH_MAX_LAG));
}

/** Decoder side: undoes the pre-filter on the decoded output, segment by segment. */
export class PitchPostFilter {
  private readonly buf = new Float64Array(HISTORY + HOP);
  private prev: PitchParams = PITCH_OFF;

  /** Filter HOP output samples in place with this segment's parameters. */
  apply(y: Float32Array, next: PitchParams): void {
    const { buf } = this;
    buf.copyWithin(0, HOP);
    for (let i = 0; i < HOP; i++) buf[HISTORY + i] = y[i];
    if (next.lag > 0 || this.prev.lag > 0) {
      filterSegment(buf, this.prev, next, 1, buf, HISTORY);
      for (let i = 0; i < HOP; i++) y[i] = buf[HISTORY + i];
    }
    this.prev = next;
  }

  /** The parameters of the last segment (packet-loss concealment keeps them). */
  get last(): PitchParams {
    return this.prev;
  }
}
