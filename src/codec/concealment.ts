/**
 * Packet-loss concealment (issue 14; design and reasons in docs/concealment.md).
 *
 * A lost frame is replaced by MDCT coefficients that go through the decoder's normal IMDCT and
 * overlap-add, so the time-domain aliasing of the last good frame's tail is cancelled as far as
 * the concealed signal matches it, consecutive concealed frames reconstruct their signal exactly
 * (Princen–Bradley), and the first good frame after a loss simply cross-fades in through the
 * window. The coefficients are the sum of two parts:
 *
 * - harmonic: the past output is extended by repeating its last pitch period(s), as in ITU-T
 *   G.711 Appendix I (loop of whole periods, the loop's seam cross-faded over up to 5 ms against
 *   the period before it), then windowed and analysed with the codec's MDCT. The lag is the peak
 *   of the normalised autocorrelation of the last 16 ms of output, preferring the lag of the
 *   harmonic comb when the last good frame carried one (the stream's pitch, DESIGN §1 item 3).
 *   The peak's height is the voicing.
 * - noise: random signs on the last good frame's envelope s = B·exp(ê) (the stream's envelope),
 *   scaled to that frame's coefficient energy.
 *
 * With h = voicing × harmonic share, the amplitudes are harmonicGain·h and noiseGain·√(1 − h²)
 * of the last good frame's level; the harmonic share hands over to the noise from 40 ms into a
 * loss, and everything fades (raised cosine) from 40 ms to silence at 140 ms (DEFAULT_CONCEALMENT).
 * That level is the last good frame's, but at most transientRatio times the energy of the frame
 * before it, so a loss right after an onset or a plosive is not filled with a repeated burst.
 */
import { Mdct } from '../dsp/mdct.js';
import { Rng } from '../vq/random.js';

/** Output samples kept for pitch analysis: correlation window plus the longest lag and loop. */
const HISTORY = 1024;
/** Shortest and longest pitch lag searched: 500 Hz and 50 Hz at 16 kHz. */
const MIN_LAG = 32;
const MAX_LAG = 320;
/** Autocorrelation window for the pitch search (16 ms). */
const PITCH_WINDOW = 256;
/** The loop holds whole periods, at least this many samples of them (10 ms), to sound less buzzy. */
const MIN_LOOP = 160;
/** Longest cross-fade at the loop's seam (5 ms, the exact part of the synthesis tail). */
const MAX_SEAM = 80;
/** Comb lag prior: accept the comb's period when its correlation is this close to the best. */
const COMB_PREFERENCE = 0.9;
/**
 * The concealment's levels and timings; DEFAULT_CONCEALMENT is what ships, the rest is for
 * experiments (bench:quality-pesq's `plc.` settings). Times are in ms from the end of the exact
 * history (16 samples per ms).
 */
export interface ConcealmentTuning {
  /** Amplitude of the repeated pitch periods relative to the last good frame (× voicing). */
  harmonicGain: number;
  /** Amplitude of the shaped noise relative to the last good frame (× √(1 − h²)). */
  noiseGain: number;
  /** Full level until fadeStartMs into the loss, raised-cosine fade to silence at fadeEndMs. */
  fadeStartMs: number;
  fadeEndMs: number;
  /** Harmonic share falls linearly from the voicing to 0 between these. */
  harmonicEndStartMs: number;
  harmonicEndMs: number;
  /** Concealed energy is at most this times the energy of the frame before the last good one. */
  transientRatio: number;
  /** Voicing (normalised correlation) at or below low is all noise, at or above high all harmonic. */
  voicingLow: number;
  voicingHigh: number;
  /** Lost frames of a burst that keep the last pitch post-filter parameters (format 3); later ones turn it off. */
  pitchHoldFrames: number;
  /** 1: prefer the stream's pitch lag (format 3) over the comb's period as the pitch prior; 0: the comb only. */
  pitchLagPrior: number;
}

/**
 * Neither part matches the lost waveform, and any mismatch is error: a prediction with
 * correlation ρ to the truth has the least error at gain ρ, and uncorrelated noise at gain 0. So
 * the harmonic part is scaled by the voicing and by harmonicGain, and the noise, which only fills
 * the hole, stays down. Tuning is in docs/concealment.md.
 */
export const DEFAULT_CONCEALMENT: Readonly<ConcealmentTuning> = {
  harmonicGain: 0.6,
  noiseGain: 0.2,
  fadeStartMs: 40,
  fadeEndMs: 140,
  harmonicEndStartMs: 40,
  harmonicEndMs: 80,
  transientRatio: 4,
  voicingLow: 0.3,
  voicingHigh: 0.7,
  pitchHoldFrames: 2,
  pitchLagPrior: 1,
};

const SAMPLES_PER_MS = 16;

/**
 * Comb lag index i puts harmonics P = 3 + 0.1·i bins apart (generate-entropy-tables.ts), i.e.
 * f0 = 25·P Hz with 25 Hz bins, a period of 16000/(25·P) = 640/P samples.
 */
const COMB_PERIOD_NUMERATOR = 640;

export interface GoodFrame {
  /** Its decoded MDCT coefficients. */
  coeffs: ArrayLike<number>;
  /** Its envelope s (per-bin variance, n bins). */
  envelope: ArrayLike<number>;
  /** Comb lag index, or −1 when the frame had no comb. */
  combLag: number;
  /** Pitch lag of the pitch filter in samples (format 3), or 0 when the frame had none. */
  pitchLag: number;
}

/** Normalised cross-correlation of x[end−len, end) with x[end−len−lag, end−lag). */
function normalisedCorrelation(x: Float64Array, end: number, len: number, lag: number): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = end - len; i < end; i++) {
    const a = x[i];
    const b = x[i - lag];
    xy += a * b;
    xx += a * a;
    yy += b * b;
  }
  const d = Math.sqrt(xx * yy);
  return d > 0 ? xy / d : 0;
}

export class Concealer {
  readonly n: number;
  private readonly mdct: Mdct;
  /** hist[HISTORY + n/4 − 1] is the newest sample; the last n/4 are the synthesis tail's exact head at a loss. */
  private readonly hist: Float64Array;
  private readonly envelope: Float64Array;
  private readonly block: Float64Array;
  private readonly noise: Float64Array;
  private readonly loop: Float64Array;
  private readonly rng = new Rng(14);
  private energyLast = 0;
  private energyPrev = 0;
  private combLag = -1;
  private pitchLag = 0;
  private goodFrames = 0;
  /** Frames lost in the current burst (0: the last frame was good). */
  private lost = 0;
  private loopLen = 0;
  private voicing = 0;
  /** Gain on the repeated history (transient limit), and the noise's per-bin scale. */
  private harmonicGain = 0;
  private noiseGain = 0;

  private readonly fadeStart: number;
  private readonly fadeEnd: number;
  private readonly shareStart: number;
  private readonly shareEnd: number;
  private readonly t: Readonly<ConcealmentTuning>;

  constructor(n: number, tuning: Partial<ConcealmentTuning> = {}) {
    if (n % 4 !== 0) throw new RangeError(`Concealer: n must be a multiple of 4, got ${n}`);
    this.n = n;
    const t = { ...DEFAULT_CONCEALMENT, ...tuning };
    if (!(t.fadeEndMs > t.fadeStartMs && t.harmonicEndMs > t.harmonicEndStartMs && t.voicingHigh > t.voicingLow)) {
      throw new RangeError('Concealer: each end must come after its start (fade, harmonic share, voicing)');
    }
    this.t = t;
    this.fadeStart = t.fadeStartMs * SAMPLES_PER_MS;
    this.fadeEnd = t.fadeEndMs * SAMPLES_PER_MS;
    this.shareStart = t.harmonicEndStartMs * SAMPLES_PER_MS;
    this.shareEnd = t.harmonicEndMs * SAMPLES_PER_MS;
    this.mdct = new Mdct(n);
    this.hist = new Float64Array(HISTORY + n / 4);
    this.envelope = new Float64Array(n);
    this.block = new Float64Array(2 * n);
    this.noise = new Float64Array(n);
    this.loop = new Float64Array(HISTORY);
  }

  /** Raised-cosine fade: 1 until fadeStart, 0 from fadeEnd. τ in samples since the loss began. */
  private fade(tau: number): number {
    if (tau <= this.fadeStart) return 1;
    if (tau >= this.fadeEnd) return 0;
    return 0.5 + 0.5 * Math.cos((Math.PI * (tau - this.fadeStart)) / (this.fadeEnd - this.fadeStart));
  }

  /** Harmonic share (before the voicing weight): 1 until shareStart, 0 from shareEnd. */
  private harmonicShare(tau: number): number {
    if (tau <= this.shareStart) return 1;
    if (tau >= this.shareEnd) return 0;
    return 1 - (tau - this.shareStart) / (this.shareEnd - this.shareStart);
  }

  /** The levels and timings in use. */
  get tuning(): Readonly<ConcealmentTuning> {
    return this.t;
  }

  /** Frames concealed in the current burst (0 after a good frame). */
  get lostInBurst(): number {
    return this.lost;
  }

  /** Append the n samples the decoder output for a frame, good or concealed (pitch history). */
  record(output: ArrayLike<number>): void {
    const { n, hist } = this;
    hist.copyWithin(0, n, HISTORY);
    for (let i = 0; i < n; i++) hist[HISTORY - n + i] = output[i];
  }

  /** Note a good frame (cheap: a copy of its envelope, and its energy). */
  good(f: GoodFrame): void {
    const { n } = this;
    let e = 0;
    for (let k = 0; k < n; k++) e += f.coeffs[k] * f.coeffs[k];
    this.energyPrev = this.goodFrames > 0 ? this.energyLast : 0;
    this.energyLast = e;
    for (let k = 0; k < n; k++) this.envelope[k] = f.envelope[k];
    this.combLag = f.combLag;
    this.pitchLag = f.pitchLag;
    this.goodFrames++;
    this.lost = 0;
  }

  /**
   * Coefficients for a lost frame, into `out` (n values). `tailHead` is the first n/4 samples of
   * the synthesis overlap tail: with the low-overlap window they are exact output (the next
   * frame's window is zero there), so the history reaches n/4 samples past the last output.
   */
  conceal(tailHead: ArrayLike<number>, out: Float64Array): void {
    const { n } = this;
    if (this.lost === 0) this.start(tailHead);
    // τ of block sample b: samples since the end of the exact history (block index n/4 of the first lost frame).
    const tau0 = this.lost * n - n / 4;
    const block = this.block;
    block.fill(0);
    if (this.harmonicGain > 0) {
      const L = this.loopLen;
      const lo = n / 4;
      const hi = 2 * n - n / 4; // the window is zero outside [n/4, 7n/4)
      for (let b = lo; b < hi; b++) {
        const tau = tau0 + b;
        const g = this.harmonicGain * this.fade(tau) * this.harmonicShare(tau);
        if (g > 0) block[b] = g * this.loop[tau % L];
      }
    }
    this.mdct.forward(block, out);
    // Noise: one gain per frame, at the window's centre (the overlap-add interpolates between frames).
    const tc = tau0 + n;
    const h = this.voicing * this.harmonicShare(tc);
    const gn = this.noiseGain * this.fade(tc) * Math.sqrt(Math.max(0, 1 - h * h));
    if (gn > 0) {
      const rng = this.rng;
      for (let k = 0; k < n; k++) out[k] += rng.uniform() < 0.5 ? -gn * this.noise[k] : gn * this.noise[k];
    }
    if (!out.every(Number.isFinite)) out.fill(0); // corrupt-stream guard: silence, never NaN
    this.lost++;
  }

  /** At the first lost frame of a burst: pitch, voicing, loop and levels from the history. */
  private start(tailHead: ArrayLike<number>): void {
    const { n, hist } = this;
    const q = n / 4;
    for (let i = 0; i < q; i++) hist[HISTORY + i] = tailHead[i];
    this.harmonicGain = 0;
    this.noiseGain = 0;
    this.voicing = 0;
    const eLast = this.energyLast;
    if (this.goodFrames === 0 || !(eLast > 0) || !Number.isFinite(eLast)) return;
    // Level: the last good frame's, limited to transientRatio × the frame before (0 at the stream's start).
    const eRef = Math.min(eLast, this.t.transientRatio * this.energyPrev);
    if (!(eRef > 0)) return;
    const end = HISTORY + q;
    // Pitch: best normalised correlation, or the comb's period when nearly as good.
    let best = -1;
    let lag = MIN_LAG;
    for (let p = MIN_LAG; p <= MAX_LAG; p++) {
      const c = normalisedCorrelation(hist, end, PITCH_WINDOW, p);
      if (c > best) {
        best = c;
        lag = p;
      }
    }
    // The stream's pitch lag (the encoder's, from the clean input) when the frame had one, else
    // the comb's period: searched around, and taken when nearly as good as the best.
    const usePitch = this.pitchLag > 0 && this.t.pitchLagPrior !== 0;
    if (usePitch || this.combLag >= 0) {
      const period = usePitch ? this.pitchLag : COMB_PERIOD_NUMERATOR / (3 + 0.1 * this.combLag);
      const reach = usePitch ? 2 / period : 0.05;
      let cb = -1;
      let cl = 0;
      for (let p = Math.max(MIN_LAG, Math.floor(period * (1 - reach))); p <= Math.min(MAX_LAG, Math.ceil(period * (1 + reach))); p++) {
        const c = normalisedCorrelation(hist, end, PITCH_WINDOW, p);
        if (c > cb) {
          cb = c;
          cl = p;
        }
      }
      if (cl > 0 && cb >= COMB_PREFERENCE * best) {
        best = cb;
        lag = cl;
      }
    }
    this.voicing = Math.min(1, Math.max(0, (best - this.t.voicingLow) / (this.t.voicingHigh - this.t.voicingLow)));
    const scale = Math.sqrt(eRef / eLast);
    if (this.voicing > 0) {
      // Loop of m whole periods (≥ MIN_LOOP samples), its length refined around m·lag.
      const m = Math.max(1, Math.floor(MIN_LOOP / lag));
      let L = m * lag;
      let bc = -2;
      for (let p = m * lag - m; p <= m * lag + m; p++) {
        if (p < MIN_LAG || p + Math.min(MAX_SEAM, p >> 1) > end) continue;
        const c = normalisedCorrelation(hist, end, Math.min(PITCH_WINDOW, end - p), p);
        if (c > bc) {
          bc = c;
          L = p;
        }
      }
      const seam = Math.min(MAX_SEAM, L >> 1);
      // loop[i] = c(T0 − L + i) with T0 = end: the history's last L samples, whose last `seam`
      // are cross-faded into the samples one loop earlier, so loop[L−1] → loop[0] is continuous.
      for (let i = 0; i < L; i++) this.loop[i] = hist[end - L + i];
      for (let i = 0; i < seam; i++) {
        const r = (i + 0.5) / seam;
        const at = L - seam + i;
        this.loop[at] = (1 - r) * hist[end - L + at] + r * hist[end - 2 * L + at];
      }
      this.loopLen = L;
      this.harmonicGain = this.t.harmonicGain * this.voicing * scale;
    }
    // Noise: envelope shape, energy eRef (random signs keep the expected energy).
    let sum = 0;
    for (let k = 0; k < n; k++) sum += Math.max(0, this.envelope[k]);
    if (sum > 0 && Number.isFinite(sum)) {
      const gain = Math.sqrt(eRef / sum);
      for (let k = 0; k < n; k++) this.noise[k] = gain * Math.sqrt(Math.max(0, this.envelope[k]));
      this.noiseGain = this.t.noiseGain;
    }
  }
}
