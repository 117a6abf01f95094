/**
 * Decoder-side tools that cost no bits (issue 12): the noise-fill level and its high-band
 * shape, the reconstruction points' shift, a spectral formant post-filter on the decoded MDCT
 * frame, and the settings of the time-domain harmonic post-filter (harmonic-post-filter.ts). They change output values only, never a symbol the decoder reads, so they may use
 * Math.* freely (determinism audit in docs/bitstream.md).
 */
import type { Bitrate } from './modes.js';

export interface DecoderTuning {
  /** Noise-fill level, × the Laplacian's in-dead-zone RMS × Δ_k (DESIGN §1 item 2: 0.4). */
  fillLevel: number;
  /** First bin whose fill level is further scaled by fillTopScale (320 = none). */
  fillTopBin: number;
  fillTopScale: number;
  /** Bins below this one (0 = none) have their fill level further scaled by fillLowScale. */
  fillLowBin: number;
  fillLowScale: number;
  /** Added to every reconstruction point, in steps (negative pulls toward zero). */
  reconShift: number;
  /** From this bin up (320 = none), reconShiftHigh is added too: above 4.5 kHz STOI does not look. */
  reconHighBin: number;
  reconShiftHigh: number;
  /** Exponent β of the formant post-filter G_k = (s_k / s̄_k)^β (0 = off). */
  formantBeta: number;
  /** Half-width in bins of the log-domain moving average s̄ (the "smooth" envelope). */
  formantSmoothBins: number;
  /** Tap strength of the harmonic post-filter (harmonic-post-filter.ts; 0 = off). */
  harmonicStrength: number;
  /** Band of the harmonic post-filter: below this many Hz (0 = the whole band), by a causal biquad on the correction. */
  harmonicCutoffHz: number;
  /**
   * Band of the harmonic post-filter by an MDCT-domain split instead (0 = off, then
   * harmonicCutoffHz applies): the correction is taken from the signal synthesized from the bins
   * below this many Hz, weighted 1 up to harmonicTaperHz below it and falling linearly to 0 there.
   */
  harmonicSplitHz: number;
  harmonicTaperHz: number;
  /**
   * With the split, bins the frame coded as nonzero enter the correction at this weight (1 = as
   * zero, noise-filled bins; < 1 spares finely coded content; the period is still refined on the
   * whole band).
   */
  harmonicCodedWeight: number;
  /** With the split, refine the period on the band signal (1, a third IMDCT) instead of the whole output (0). */
  harmonicCorrOnBand: number;
  /** With the split, bins below this many Hz get harmonicBassWeight (a stronger tap on the lowest harmonics; 0 = none). */
  harmonicBassHz: number;
  harmonicBassWeight: number;
  /** Pre-echo suppression (pre-echo.ts): its α (0 = off), onset ratio, block contrast, gain floor and band split (0 = whole band). */
  preEchoStrength: number;
  preEchoOnsetRatio: number;
  preEchoContrast: number;
  preEchoFloor: number;
  preEchoSplitHz: number;
  /** Weighting γ and tilt (experiments only: must equal the encoder's; undefined = default). */
  weightGamma?: number;
  weightTilt?: number;
  /** TNS order, first bin and split bin (experiments only: must equal the encoder's; undefined = the mode's). */
  tnsOrder?: number;
  tnsStartBin?: number;
  tnsSplitBin?: number;
}

/** The codec's behaviour before issue 12 (every tool off, fill as DESIGN §1 item 2). */
export const NEUTRAL_TUNING: Readonly<DecoderTuning> = {
  fillLevel: 0.4,
  fillTopBin: 320,
  fillTopScale: 1,
  fillLowBin: 0,
  fillLowScale: 1,
  reconShift: 0,
  reconHighBin: 320,
  reconShiftHigh: 0,
  formantBeta: 0,
  formantSmoothBins: 24,
  harmonicStrength: 0,
  harmonicCutoffHz: 0,
  harmonicSplitHz: 0,
  harmonicTaperHz: 0,
  harmonicCodedWeight: 1,
  harmonicCorrOnBand: 0,
  harmonicBassHz: 0,
  harmonicBassWeight: 1,
  preEchoStrength: 0,
  preEchoOnsetRatio: 4,
  preEchoContrast: 3,
  preEchoFloor: 0.1,
  preEchoSplitHz: 0,
};

/**
 * Per-mode defaults (docs/quality.md). The harmonic post-filter at every mode, its band cut in the
 * MDCT domain (harmonicSplitHz, no phase error; round 2 of issue 12), chosen on 11
 * train-clean-100 files and checked on the test-other dev subset: below 2 kHz (3 kHz at
 * 32 kbit/s) with a 500 Hz taper; strength 0.4 at 8/9.6/16.4, 0.3 at 13.2/24.4, 0.5 at 32 kbit/s;
 * coded bins weighted 0.5 at 16.4/24.4 and 0.25 at 32 kbit/s, which keeps STOI and pSNR where the
 * full weight lowered them; a noise-fill level of 0.35 at 32 kbit/s, which bought pSNR (+0.1 dB)
 * at equal PESQ and STOI (at 24.4 kbit/s too until the rate–distortion quantizer, after which
 * the default 0.4 scored +0.010 PESQ for −0.12 dB there). Reconstruction points 0.05 step nearer
 * zero at 16.4 … 32 kbit/s (with the encoder's rate–distortion quantization, +0.004 … +0.017 PESQ
 * there), 0.15 step at 8 … 13.2 kbit/s, with harmonic strength 0.2 at 9.6 kbit/s (+0.0008 …
 * +0.0015 STOI at 8 / 9.6, +0.015 … +0.033 PESQ, −0.03 … −0.06 dB on training and test-other;
 * nearer still, or at 16.4 … 32 kbit/s, it costs STOI or pSNR); at 16.4 … 32 kbit/s, 0.2 step
 * further from 4.5 kHz up, which STOI does not see (+0.005 … +0.012 PESQ, −0.02 … −0.15 dB; at
 * 8 / 9.6 kbit/s it lost PESQ). (Round 1's band limit, a causal
 * biquad at 3 kHz, stays available as harmonicCutoffHz.) Pre-echo suppression at 24.4 and 32 kbit/s
 * only (below, it cost STOI on the training files), above 2 kHz since round 4.
 */
/** 0.2 step further toward zero from 4.5 kHz up (round 4), at 16.4 … 32 kbit/s. */
const UPPER_RECON: Partial<DecoderTuning> = { reconHighBin: 180, reconShiftHigh: -0.2 };
/** Pre-echo suppression above 2 kHz (round 4: the band split), at 24.4 and 32 kbit/s. */
const PRE_ECHO: Partial<DecoderTuning> = { preEchoStrength: 0.5, preEchoSplitHz: 2000 };
/** Round 5: at 8 kbit/s the fill from 4.5 kHz up at 0.7 × 0.4 (more pSNR, no less PESQ or STOI). */
const FILL_PROFILE_8K: Partial<DecoderTuning> = { fillTopBin: 180, fillTopScale: 0.7 };
/** Round 5: at 9.6 kbit/s the fill at 0.4 up to 2.5 kHz, 0.6 from 2.5 to 4.5 kHz (STOI), 0.2 above (pSNR). */
const FILL_PROFILE_9K6: Partial<DecoderTuning> = { fillLevel: 0.6, fillLowBin: 100, fillLowScale: 0.4 / 0.6, fillTopBin: 180, fillTopScale: 0.2 / 0.6 };
/** Round 5: at 16.4 and 24.4 kbit/s the fill from 2.5 to 4.5 kHz at 0.5 (0.4 elsewhere): PESQ and STOI for a little pSNR. */
const FILL_MID_RAISE: Partial<DecoderTuning> = { fillLevel: 0.5, fillLowBin: 100, fillLowScale: 0.4 / 0.5, fillTopBin: 180, fillTopScale: 0.4 / 0.5 };
/**
 * Round 7: at 32 kbit/s the fill from 6 kHz up at 1.2 × 0.35, beside the encoder's larger λ there
 * (rdo-quantizer.ts), which leaves more of those bins to the fill (+0.002 PESQ, −0.04 dB on training speech).
 */
const FILL_TOP_32K: Partial<DecoderTuning> = { fillLevel: 0.35, fillTopBin: 240, fillTopScale: 1.2 };
function split(harmonicStrength: number, harmonicSplitHz: number, harmonicCodedWeight: number, rest: Partial<DecoderTuning> = {}): Readonly<DecoderTuning> {
  return { ...NEUTRAL_TUNING, harmonicStrength, harmonicSplitHz, harmonicTaperHz: 500, harmonicCodedWeight, reconShift: -0.05, ...rest };
}
export const DEFAULT_TUNING: Readonly<Record<Bitrate, Readonly<DecoderTuning>>> = {
  8000: split(0.4, 2000, 1, { reconShift: -0.15, ...FILL_PROFILE_8K }),
  9600: split(0.2, 2000, 1, { reconShift: -0.15, ...FILL_PROFILE_9K6 }),
  13200: split(0.3, 2000, 1, { reconShift: -0.15 }),
  16400: split(0.4, 2000, 0.5, { ...UPPER_RECON, ...FILL_MID_RAISE }),
  24400: split(0.3, 2000, 0.5, { ...UPPER_RECON, ...PRE_ECHO, ...FILL_MID_RAISE }),
  32000: split(0.5, 3000, 0.25, { ...UPPER_RECON, ...PRE_ECHO, ...FILL_TOP_32K }),
};

/** DEFAULT_TUNING of `bitrate` with `override` applied; rejects non-finite values. */
export function tuningFor(bitrate: Bitrate, override: Partial<DecoderTuning> = {}): DecoderTuning {
  const t: DecoderTuning = { ...DEFAULT_TUNING[bitrate], ...override };
  for (const [k, v] of Object.entries(t)) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`decoder tuning ${k} must be a finite number, got ${String(v)}`);
  }
  if (t.harmonicSplitHz < 0 || t.harmonicTaperHz < 0) throw new RangeError('decoder tuning harmonicSplitHz and harmonicTaperHz must not be negative');
  if (!(t.fillLevel >= 0 && t.fillLowScale >= 0 && t.fillTopScale >= 0)) throw new RangeError('decoder tuning fillLevel, fillLowScale and fillTopScale must not be negative');
  if (!(t.fillLowBin >= 0 && t.fillLowBin <= t.fillTopBin)) throw new RangeError(`decoder tuning fillLowBin must be in 0 … fillTopBin (${t.fillTopBin}), got ${t.fillLowBin}`);
  if (!(t.reconHighBin >= 0)) throw new RangeError('decoder tuning reconHighBin must not be negative');
  if (t.formantSmoothBins < 1) throw new RangeError('decoder tuning formantSmoothBins must be at least 1');
  if (t.preEchoStrength < 0 || t.preEchoOnsetRatio < 1 || t.preEchoContrast < 1 || !(t.preEchoFloor > 0 && t.preEchoFloor <= 1) || !(t.preEchoSplitHz === 0 || (t.preEchoSplitHz >= 2000 && t.preEchoSplitHz < 8000))) {
    throw new RangeError('decoder tuning: preEchoStrength must be ≥ 0, preEchoOnsetRatio and preEchoContrast ≥ 1, preEchoFloor in (0, 1], preEchoSplitHz 0 (off) or in [2000, 8000)');
  }
  return t;
}

/**
 * Per-bin weights of the harmonic post-filter's MDCT-domain band (DecoderTuning.harmonicSplitHz),
 * or null when the split is off. Bin k is centred on (k + ½)·binHz.
 */
export function harmonicBandWeights(t: DecoderTuning, bins: number, binHz = 25): Float64Array | null {
  if (!(t.harmonicSplitHz > 0)) return null;
  const w = new Float64Array(bins);
  const top = t.harmonicSplitHz;
  const start = top - t.harmonicTaperHz;
  for (let k = 0; k < bins; k++) {
    const f = (k + 0.5) * binHz;
    w[k] = f >= top ? 0 : f <= start ? 1 : (top - f) / (top - start);
    if (f < t.harmonicBassHz) w[k] *= t.harmonicBassWeight;
  }
  return w;
}

/**
 * Spectral formant post-filter (the MDCT-domain analogue of AMR-WB/EVS's A(z/γ₁)/A(z/γ₂)):
 * scale bin k by (s_k/s̄_k)^β, where s is the decoded envelope variance and s̄ its log-domain
 * moving average over ±h bins, so formant peaks rise and the valleys between them, where coarse
 * quantization and noise fill put energy the signal lacks, fall. The frame's energy is kept.
 * `logS` and `gain` are scratch of length n.
 */
export class FormantPostFilter {
  private readonly logS: Float64Array;
  private readonly prefix: Float64Array;
  private readonly gain: Float64Array;

  constructor(bins: number) {
    this.logS = new Float64Array(bins);
    this.prefix = new Float64Array(bins + 1);
    this.gain = new Float64Array(bins);
  }

  apply(s: ArrayLike<number>, out: Float64Array, beta: number, halfWidth: number): void {
    const n = out.length;
    const { logS, prefix, gain } = this;
    for (let k = 0; k < n; k++) {
      logS[k] = Math.log(s[k]);
      prefix[k + 1] = prefix[k] + logS[k];
    }
    let before = 0;
    let after = 0;
    for (let k = 0; k < n; k++) {
      const lo = Math.max(0, k - halfWidth);
      const hi = Math.min(n, k + halfWidth + 1);
      const mean = (prefix[hi] - prefix[lo]) / (hi - lo);
      const g = Math.exp(beta * (logS[k] - mean));
      gain[k] = g;
      const x = out[k];
      before += x * x;
      after += x * x * g * g;
    }
    const norm = after > 0 ? Math.sqrt(before / after) : 1;
    for (let k = 0; k < n; k++) out[k] *= gain[k] * norm;
  }
}
