/**
 * STOI (Taal, Hendriks, Heusdens & Jensen, IEEE TASLP 2011) and extended STOI (Jensen &
 * Taal, IEEE TASLP 2016), following the published algorithm and the reference
 * implementation's numerical choices (shared/reference/README.md):
 *  1. resample both signals to 10 kHz with the Octave-style polyphase filter;
 *  2. frame at 256 samples, hop 128, Hann window w[n] = 0.5 − 0.5 cos(2π(n+1)/257); frames
 *     start at 0, 128, … while start < length − 256; drop every frame whose reference energy
 *     20·log10(‖w·x‖ + eps) is 40 dB or more below the loudest, and rebuild both signals by
 *     overlap-adding the kept windowed frames;
 *  3. STFT of the rebuilt signals with the same framing, FFT size 512;
 *  4. 15 one-third-octave bands from 150 Hz (band i spans the FFT bins nearest to
 *     150·2^((2i−1)/6) … 150·2^((2i+1)/6) Hz, upper edge exclusive), band magnitudes
 *     sqrt(Σ|X|²);
 *  5. 30-frame (384 ms) segments, one ending at every frame from the 30th on;
 *  6. STOI: per band and segment, scale the degraded envelope to the reference's norm, clip
 *     it at (1 + 10^(15/20)) × the reference (β = −15 dB), correlate; average.
 *     ESTOI: per segment, normalise the 15×30 matrices to zero mean and unit norm along
 *     time (rows) and then across bands (columns); average the column inner products.
 */
import { UserError } from '../errors.js';
import { resampleOctavePair } from './octave-resample.js';
import { RealFft } from './real-fft.js';

export const STOI_SAMPLE_RATE = 10000;
const FRAME = 256;
const HOP = 128;
const NFFT = 512;
const BANDS = 15;
const MIN_FREQ = 150;
/** N, frames per intermediate-intelligibility segment (384 ms). */
export const STOI_SEGMENT_FRAMES = 30;
const BETA_DB = -15;
const DYN_RANGE_DB = 40;
/** numpy's float64 eps, added where the reference implementation adds it. */
const EPS = 2.220446049250313e-16;

let hann: Float64Array | undefined;
function hannWindow(): Float64Array {
  if (!hann) {
    hann = new Float64Array(FRAME);
    for (let n = 0; n < FRAME; n++) hann[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 1)) / (FRAME + 1));
  }
  return hann;
}

let bandEdges: { lo: Int32Array; hi: Int32Array } | undefined;
/** FFT bin range [lo, hi) of each one-third-octave band (nearest bins, first on ties). */
export function thirdOctaveBands(): { lo: Int32Array; hi: Int32Array } {
  if (bandEdges) return bandEdges;
  const nBins = NFFT / 2 + 1;
  const nearest = (f: number): number => {
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < nBins; k++) {
      const d = (k * STOI_SAMPLE_RATE) / NFFT - f;
      if (d * d < bestD) {
        bestD = d * d;
        best = k;
      }
    }
    return best;
  };
  const lo = new Int32Array(BANDS);
  const hi = new Int32Array(BANDS);
  for (let i = 0; i < BANDS; i++) {
    lo[i] = nearest(MIN_FREQ * Math.pow(2, (2 * i - 1) / 6));
    hi[i] = nearest(MIN_FREQ * Math.pow(2, (2 * i + 1) / 6));
  }
  bandEdges = { lo, hi };
  return bandEdges;
}

/** Number of frames the reference framing takes from a signal of length n. */
function frameCount(n: number): number {
  return n > FRAME ? Math.ceil((n - FRAME) / HOP) : 0;
}

/** Step 2: drop silent frames (judged on x) and overlap-add the kept windowed frames. */
export function removeSilentFrames(x: Float64Array, y: Float64Array): { x: Float64Array; y: Float64Array } {
  const w = hannWindow();
  const frames = frameCount(x.length);
  const energyDb = new Float64Array(frames);
  let maxDb = -Infinity;
  for (let f = 0; f < frames; f++) {
    const o = f * HOP;
    let s = 0;
    for (let n = 0; n < FRAME; n++) {
      const v = w[n] * x[o + n];
      s += v * v;
    }
    energyDb[f] = 20 * Math.log10(Math.sqrt(s) + EPS);
    if (energyDb[f] > maxDb) maxDb = energyDb[f];
  }
  const kept: number[] = [];
  for (let f = 0; f < frames; f++) if (maxDb - DYN_RANGE_DB - energyDb[f] < 0) kept.push(f);
  const len = kept.length === 0 ? 0 : (kept.length - 1) * HOP + FRAME;
  const xs = new Float64Array(len);
  const ys = new Float64Array(len);
  for (let i = 0; i < kept.length; i++) {
    const src = kept[i] * HOP;
    const dst = i * HOP;
    for (let n = 0; n < FRAME; n++) {
      xs[dst + n] += w[n] * x[src + n];
      ys[dst + n] += w[n] * y[src + n];
    }
  }
  return { x: xs, y: ys };
}

/** Steps 3–4: one-third-octave band magnitudes, band-major: out[band·frames + frame]. */
function bandEnvelopes(x: Float64Array, fft: RealFft, spec: Float64Array, frame: Float64Array): { env: Float64Array; frames: number } {
  const w = hannWindow();
  const frames = frameCount(x.length);
  const { lo, hi } = thirdOctaveBands();
  const env = new Float64Array(BANDS * frames);
  for (let f = 0; f < frames; f++) {
    const o = f * HOP;
    for (let n = 0; n < FRAME; n++) frame[n] = w[n] * x[o + n];
    fft.forward(frame, spec);
    for (let b = 0; b < BANDS; b++) {
      let s = 0;
      for (let k = lo[b]; k < hi[b]; k++) s += spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
      env[b * frames + f] = Math.sqrt(s);
    }
  }
  return { env, frames };
}

/** Band envelopes of reference and degraded signal after resampling and silence removal. */
export interface StoiEnvelopes {
  /** Reference band magnitudes, band-major (BANDS × frames). */
  x: Float64Array;
  /** Degraded band magnitudes, same layout. */
  y: Float64Array;
  frames: number;
}

/**
 * Steps 1–4, shared by STOI and ESTOI. Throws UserError for unequal lengths, a silent
 * reference, or fewer than 30 STFT frames left after silence removal.
 */
export function stoiEnvelopes(ref: ArrayLike<number>, deg: ArrayLike<number>, sampleRate: number): StoiEnvelopes {
  if (ref.length !== deg.length) {
    throw new UserError(`STOI needs signals of equal length (got ${ref.length} and ${deg.length} samples); align them first`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new UserError(`STOI: bad sample rate ${sampleRate}`);
  let silent = true;
  for (let i = 0; i < ref.length; i++) {
    if (ref[i] !== 0) {
      silent = false;
      break;
    }
  }
  if (silent) throw new UserError('STOI: the reference signal is silent');
  const [x10, y10] = resampleOctavePair(ref, deg, STOI_SAMPLE_RATE, sampleRate);
  const { x, y } = removeSilentFrames(x10, y10);
  const fft = new RealFft(NFFT);
  const spec = new Float64Array(2 * NFFT);
  const frame = new Float64Array(FRAME);
  const ex = bandEnvelopes(x, fft, spec, frame);
  const ey = bandEnvelopes(y, fft, spec, frame);
  if (ex.frames < STOI_SEGMENT_FRAMES) {
    const seconds = (ref.length / sampleRate).toFixed(2);
    throw new UserError(
      `STOI needs at least ${STOI_SEGMENT_FRAMES} frames (384 ms) of speech after silence removal, ` +
        `but only ${ex.frames} remain of the ${seconds} s input`,
    );
  }
  return { x: ex.env, y: ey.env, frames: ex.frames };
}

/** Step 6 for STOI: mean over bands and segments of the clipped envelope correlation. */
export function stoiFromEnvelopes(e: StoiEnvelopes): number {
  const N = STOI_SEGMENT_FRAMES;
  const clip = 1 + Math.pow(10, -BETA_DB / 20);
  const segments = e.frames - N + 1;
  const yp = new Float64Array(N);
  let total = 0;
  for (let b = 0; b < BANDS; b++) {
    const base = b * e.frames;
    for (let m = 0; m < segments; m++) {
      const o = base + m;
      let xx = 0, yy = 0;
      for (let t = 0; t < N; t++) {
        xx += e.x[o + t] * e.x[o + t];
        yy += e.y[o + t] * e.y[o + t];
      }
      const alpha = Math.sqrt(xx) / (Math.sqrt(yy) + EPS);
      let xMean = 0, yMean = 0;
      for (let t = 0; t < N; t++) {
        const v = Math.min(alpha * e.y[o + t], clip * e.x[o + t]);
        yp[t] = v;
        yMean += v;
        xMean += e.x[o + t];
      }
      xMean /= N;
      yMean /= N;
      let sxy = 0, sxx = 0, syy = 0;
      for (let t = 0; t < N; t++) {
        const xv = e.x[o + t] - xMean;
        const yv = yp[t] - yMean;
        sxy += xv * yv;
        sxx += xv * xv;
        syy += yv * yv;
      }
      total += sxy / ((Math.sqrt(sxx) + EPS) * (Math.sqrt(syy) + EPS));
    }
  }
  return total / (BANDS * segments);
}

/**
 * Row (time) then column (band) mean-and-norm normalisation of one 15×30 segment, into
 * `out` (band-major, 30 per row). A zero-norm row or column stays zero (the reference adds
 * eps-level random noise there instead; both contribute nothing measurable).
 */
function normaliseSegment(env: Float64Array, frames: number, m: number, out: Float64Array): void {
  const N = STOI_SEGMENT_FRAMES;
  for (let b = 0; b < BANDS; b++) {
    const o = b * frames + m;
    let mean = 0;
    for (let t = 0; t < N; t++) mean += env[o + t];
    mean /= N;
    let ss = 0;
    for (let t = 0; t < N; t++) {
      const v = env[o + t] - mean;
      out[b * N + t] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let t = 0; t < N; t++) out[b * N + t] *= inv;
  }
  for (let t = 0; t < N; t++) {
    let mean = 0;
    for (let b = 0; b < BANDS; b++) mean += out[b * N + t];
    mean /= BANDS;
    let ss = 0;
    for (let b = 0; b < BANDS; b++) {
      const v = out[b * N + t] - mean;
      out[b * N + t] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let b = 0; b < BANDS; b++) out[b * N + t] *= inv;
  }
}

/** Step 6 for ESTOI: mean over segments of (1/N)·Σ_t ⟨x̃_t, ỹ_t⟩ of the normalised columns. */
export function estoiFromEnvelopes(e: StoiEnvelopes): number {
  const N = STOI_SEGMENT_FRAMES;
  const segments = e.frames - N + 1;
  const xn = new Float64Array(BANDS * N);
  const yn = new Float64Array(BANDS * N);
  let total = 0;
  for (let m = 0; m < segments; m++) {
    normaliseSegment(e.x, e.frames, m, xn);
    normaliseSegment(e.y, e.frames, m, yn);
    let s = 0;
    for (let i = 0; i < xn.length; i++) s += xn[i] * yn[i];
    total += s / N;
  }
  return total / segments;
}

/** STOI of `deg` against `ref` (same length, same rate, time-aligned by the caller). */
export function stoi(ref: ArrayLike<number>, deg: ArrayLike<number>, sampleRate: number): number {
  return stoiFromEnvelopes(stoiEnvelopes(ref, deg, sampleRate));
}

/** Extended STOI of `deg` against `ref` (same length, same rate). */
export function estoi(ref: ArrayLike<number>, deg: ArrayLike<number>, sampleRate: number): number {
  return estoiFromEnvelopes(stoiEnvelopes(ref, deg, sampleRate));
}
