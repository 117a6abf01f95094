/**
 * PESQ's perceptual model (P.862 §10.2.8–10.2.11): per 32 ms frame, the Bark power densities
 * of both signals (the degraded one read at its utterance's delay), partial compensation of the
 * system's frequency response and of short-term gain changes, Zwicker loudness, and the
 * symmetric and asymmetric disturbance densities with their dead zone, integrated over
 * frequency. Stretches of bad frames are realigned once and keep the smaller disturbance.
 */
import { pairForward, realInverse } from './fft.js';
import {
  A_POW_F,
  ABS_THRESH_POWER,
  CENTRE_OF_BAND_BARK,
  D_POW_F,
  DATA_PADDING,
  DOWNSAMPLE,
  FRAME,
  HOP,
  HZ_BANDS_PER_BARK,
  LEAD,
  NB,
  POW_DENS_CORRECTION,
  SEARCH_BUFFER,
  SL,
  SP,
  WIDTH_OF_BAND_BARK,
} from './tables.js';
import type { Utterance } from './time-align.js';

export interface FrameDisturbances {
  startFrame: number;
  stopFrame: number;
  /** Symmetric disturbance per frame (before the loudness weighting of aggregate.ts). */
  symmetric: Float64Array;
  asymmetric: Float64Array;
  /** Audible power of the reference per frame. */
  refPower: Float64Array;
  /** Frames in the padded layout's length, for the time weighting of long files. */
  maxN: number;
}

const HANN = (() => {
  const w = new Float32Array(FRAME);
  for (let i = 0; i < FRAME; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / FRAME));
  return w;
})();

/** Loudness exponent per band: Zwicker's 0.23, raised below 4 Bark. */
const ZWICKER_POWER = (() => {
  const p = new Float64Array(NB);
  for (let b = 0; b < NB; b++) {
    let h = CENTRE_OF_BAND_BARK[b] < 4 ? 6 / (CENTRE_OF_BAND_BARK[b] + 2) : 1;
    if (h > 2) h = 2;
    p[b] = 0.23 * Math.pow(h, 0.15);
  }
  return p;
})();

/** Sl·(threshold/0.5)^power per band: the loudness scale. */
const LOUDNESS_SCALE = ZWICKER_POWER.map((p, b) => SL * Math.pow(ABS_THRESH_POWER[b] / 0.5, p));

const THRESHOLD_BAD_FRAMES = 30;
const CRITERION_FOR_SILENCE_OF_5_SAMPLES = 500;
const MAX_SCALE = 5;
const MIN_SCALE = 3e-4;

class Spectra {
  private readonly specA = new Float64Array(FRAME + 2);
  private readonly specB = new Float64Array(FRAME + 2);

  /**
   * Bark power densities of the Hann-windowed frames at a[startA] and b[startB] (a frame of
   * zeros when startB is null) into outA[offset …] and outB[offset …].
   */
  barkDensities(a: Float32Array, startA: number, b: Float32Array, startB: number | null, outA: Float64Array, outB: Float64Array, offset: number): void {
    pairForward(FRAME, a, startA, FRAME, b, startB ?? 0, startB === null ? 0 : FRAME, HANN, this.specA, this.specB);
    warp(this.specA, outA, offset);
    warp(this.specB, outB, offset);
  }

  /** Bark power densities of one frame, into out[offset …]. */
  barkDensity(x: Float32Array, start: number, out: Float64Array, offset: number): void {
    pairForward(FRAME, x, start, FRAME, x, 0, 0, HANN, this.specA, this.specB);
    warp(this.specA, out, offset);
  }
}

/** Power spectrum summed into Bark bands (§10.2.8), scaled to the model's units. */
function warp(spec: Float64Array, out: Float64Array, offset: number): void {
  let bin = 0;
  for (let b = 0; b < NB; b++) {
    let sum = 0;
    for (let i = 0; i < HZ_BANDS_PER_BARK[b]; i++, bin++) {
      // Bin 0 (DC) is left out.
      if (bin > 0) sum += spec[2 * bin] * spec[2 * bin] + spec[2 * bin + 1] * spec[2 * bin + 1];
    }
    out[offset + b] = sum * POW_DENS_CORRECTION[b] * SP;
  }
}

function totalAudible(ppd: Float64Array, offset: number, factor: number): number {
  let result = 0;
  for (let b = 1; b < NB; b++) {
    const h = ppd[offset + b];
    if (h > factor * ABS_THRESH_POWER[b]) result += h;
  }
  return result;
}

function loudness(ppd: Float64Array, offset: number, out: Float64Array): void {
  for (let b = 0; b < NB; b++) {
    const threshold = ABS_THRESH_POWER[b];
    const input = ppd[offset + b];
    const p = ZWICKER_POWER[b];
    out[b] = input > threshold ? LOUDNESS_SCALE[b] * (Math.pow(0.5 + (0.5 * input) / threshold, p) - 1) : 0;
  }
}

/** Weighted L_p norm over bands 1 … NB−1, weights the band widths in Bark. */
function pseudoLp(x: Float64Array, p: number): number {
  let result = 0;
  for (let b = 1; b < NB; b++) {
    const h = Math.abs(x[b]) * WIDTH_OF_BAND_BARK[b];
    // The model's two exponents (D_POW_F = 2, A_POW_F = 1) without pow.
    result += p === 2 ? h * h : p === 1 ? h : Math.pow(h, p);
  }
  return Math.pow(result / BARK_WIDTH_SUM, 1 / p) * BARK_WIDTH_SUM;
}

/** Σ of the band widths over bands 1 … NB−1, summed in band order. */
const BARK_WIDTH_SUM = (() => {
  let total = 0;
  for (let b = 1; b < NB; b++) total += WIDTH_OF_BAND_BARK[b];
  return total;
})();

/** Scratch for one frame's disturbance computation. */
class FrameScratch {
  readonly loudRef = new Float64Array(NB);
  readonly loudDeg = new Float64Array(NB);
  readonly dist = new Float64Array(NB);

  /**
   * Symmetric and asymmetric disturbance of one frame, after scaling the degraded densities
   * (in place) by `scale`.
   */
  disturbance(ppdRef: Float64Array, ppdDeg: Float64Array, offset: number, scale: number): [number, number] {
    for (let b = 0; b < NB; b++) ppdDeg[offset + b] *= scale;
    loudness(ppdRef, offset, this.loudRef);
    loudness(ppdDeg, offset, this.loudDeg);
    const d = this.dist;
    for (let b = 0; b < NB; b++) {
      const diff = this.loudDeg[b] - this.loudRef[b];
      const m = 0.25 * Math.min(this.loudDeg[b], this.loudRef[b]);
      d[b] = diff > m ? diff - m : diff < -m ? diff + m : 0;
    }
    const symmetric = pseudoLp(d, D_POW_F);
    for (let b = 0; b < NB; b++) {
      const ratio = (ppdDeg[offset + b] + 50) / (ppdRef[offset + b] + 50);
      let h = Math.pow(ratio, 1.2);
      if (h > 12) h = 12;
      if (h < 3) h = 0;
      d[b] *= h;
    }
    return [symmetric, pseudoLp(d, A_POW_F)];
  }
}

/** Gain of the degraded frame toward the reference, smoothed over frames and clamped. */
class GainTracker {
  private old = 1;
  next(frame: number, refAudible: number, degAudible: number): number {
    let scale = (refAudible + 5e3) / (degAudible + 5e3);
    if (frame > 0) scale = 0.2 * this.old + 0.8 * scale;
    this.old = scale;
    return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
  }
}

/** Index of the utterance that holds sample i of the reference (the first one before any). */
function delayAt(utts: readonly Utterance[], i: number): number {
  let u = utts.length - 1;
  while (u >= 0 && utts[u].start * DOWNSAMPLE > i) u--;
  return u >= 0 ? utts[u].delay : utts[0].delay;
}

/** Delay (−range … range−1) maximising the normalised correlation of |a| and |b|, or 0 when under 0.5. */
function envelopeDelay(a: Float32Array, b: Float32Array, range: number): number {
  const n = a.length;
  let pa = 0;
  let pb = 0;
  for (let i = 0; i < n; i++) {
    pa += a[i] * a[i];
    pb += b[i] * b[i];
  }
  let size = 1;
  while (size < 2 * n) size *= 2;
  const norm = Math.sqrt((pa / size) * (pb / size));
  if (pa / size <= 1e-6 || pb / size <= 1e-6) return 0;
  const sa = new Float64Array(size + 2);
  const sb = new Float64Array(size + 2);
  pairForward(size, a.map(Math.abs), 0, n, b.map(Math.abs), 0, n, null, sa, sb);
  for (let k = 0; k <= size / 2; k++) {
    const ar = sa[2 * k] / size;
    const ai = sa[2 * k + 1] / size;
    const br = sb[2 * k];
    const bi = sb[2 * k + 1];
    sa[2 * k] = ar * br + ai * bi;
    sa[2 * k + 1] = ar * bi - ai * br;
  }
  const y = new Float64Array(size);
  realInverse(size, sa, y);
  let best = 0;
  let bestCorr = 0;
  for (let i = -range; i < range; i++) {
    const h = Math.abs(y[(i + size) % size]) / norm;
    if (h > bestCorr) {
      bestCorr = h;
      best = i;
    }
  }
  return bestCorr < 0.5 ? 0 : best;
}

/**
 * The disturbance of every frame. `ref` and `deg` are the level-aligned, input-filtered signals
 * in the padded layout, both maxN + DATA_PADDING long.
 */
export function frameDisturbances(ref: Float32Array, deg: Float32Array, maxN: number, utts: readonly Utterance[]): FrameDisturbances {
  // Leading and trailing silence of the reference is not scored.
  let skipStart = 0;
  for (;;) {
    let sum = 0;
    for (let i = 0; i < 5; i++) sum += Math.abs(ref[LEAD + skipStart + i]);
    if (!(sum < CRITERION_FOR_SILENCE_OF_5_SAMPLES && skipStart < maxN / 2)) break;
    skipStart++;
  }
  let skipEnd = 0;
  for (;;) {
    let sum = 0;
    for (let i = 0; i < 5; i++) sum += Math.abs(ref[maxN - LEAD + DATA_PADDING - 1 - skipEnd - i]);
    if (!(sum < CRITERION_FOR_SILENCE_OF_5_SAMPLES && skipEnd < maxN / 2)) break;
    skipEnd++;
  }
  const startFrame = Math.trunc(skipStart / HOP);
  const stopFrame = Math.trunc((maxN - 2 * LEAD + DATA_PADDING - skipEnd) / HOP) - 1;
  const frames = stopFrame + 1;
  const totalLength = maxN + DATA_PADDING;

  const ppdRef = new Float64Array(frames * NB);
  const ppdDeg = new Float64Array(frames * NB);
  const silent = new Uint8Array(frames);
  const spectra = new Spectra();
  for (let f = 0; f < frames; f++) {
    const startRef = LEAD + f * HOP;
    const startDeg = startRef + delayAt(utts, startRef);
    const inRange = startDeg > 0 && startDeg + FRAME < totalLength;
    spectra.barkDensities(ref, startRef, deg, inRange ? startDeg : null, ppdRef, ppdDeg, f * NB);
    silent[f] = totalAudible(ppdRef, f * NB, 1e2) < 1e7 ? 1 : 0;
  }

  // Partial compensation of the system's frequency response (§10.2.9).
  const divisor = Math.trunc((maxN - 2 * LEAD + DATA_PADDING) / HOP) - 1;
  for (let b = 0; b < NB; b++) {
    let sumRef = 0;
    let sumDeg = 0;
    const floor = 100 * ABS_THRESH_POWER[b];
    for (let f = 0; f < frames; f++) {
      if (silent[f]) continue;
      const hr = ppdRef[f * NB + b];
      const hd = ppdDeg[f * NB + b];
      if (hr > floor) sumRef += hr;
      if (hd > floor) sumDeg += hd;
    }
    let x = (sumDeg / divisor + 1000) / (sumRef / divisor + 1000);
    if (x > 100) x = 100;
    if (x < 0.01) x = 0.01;
    for (let f = 0; f < frames; f++) ppdRef[f * NB + b] *= x;
  }

  const symmetric = new Float64Array(frames);
  const asymmetric = new Float64Array(frames);
  const refPower = new Float64Array(frames);
  const scratch = new FrameScratch();
  const gain = new GainTracker();
  let anyBad = false;
  for (let f = 0; f < frames; f++) {
    const refAudible = totalAudible(ppdRef, f * NB, 1);
    refPower[f] = refAudible;
    const scale = gain.next(f, refAudible, totalAudible(ppdDeg, f * NB, 1));
    [symmetric[f], asymmetric[f]] = scratch.disturbance(ppdRef, ppdDeg, f * NB, scale);
    if (symmetric[f] > THRESHOLD_BAD_FRAMES) anyBad = true;
  }

  // Frames around a large negative delay jump (audio played twice) are not scored.
  for (let u = 1; u < utts.length; u++) {
    let frame1 = Math.trunc(((utts[u].start - SEARCH_BUFFER) * DOWNSAMPLE + utts[u].delay) / HOP);
    const j = Math.trunc(((utts[u - 1].end - SEARCH_BUFFER) * DOWNSAMPLE + utts[u - 1].delay) / HOP);
    const jump = utts[u].delay - utts[u - 1].delay;
    if (frame1 > j) frame1 = j;
    if (frame1 < 0) frame1 = 0;
    if (jump < -HOP) {
      const frame2 = Math.trunc(((utts[u].start - SEARCH_BUFFER) * DOWNSAMPLE + Math.max(0, Math.abs(jump))) / HOP) + 1;
      for (let f = frame1; f <= frame2; f++) {
        if (f < stopFrame) {
          symmetric[f] = 0;
          asymmetric[f] = 0;
        }
      }
    }
  }

  if (anyBad) realignBad(ref, deg, maxN, utts, stopFrame, ppdRef, ppdDeg, symmetric, asymmetric, spectra, scratch);

  return { startFrame, stopFrame, symmetric, asymmetric, refPower, maxN };
}

/**
 * §10.2.10: intervals of at least five bad frames (symmetric disturbance over 30, smeared by
 * two frames) are realigned by the envelope cross-correlation of the signals there, and each
 * of their frames keeps the smaller of its two disturbances.
 */
function realignBad(
  ref: Float32Array, deg: Float32Array, maxN: number, utts: readonly Utterance[], stopFrame: number,
  ppdRef: Float64Array, ppdDeg: Float64Array, symmetric: Float64Array, asymmetric: Float64Array,
  spectra: Spectra, scratch: FrameScratch,
): void {
  const nn = DATA_PADDING + maxN;
  // The degraded signal with every utterance's delay applied.
  const tweaked = new Float32Array(nn);
  for (let i = LEAD; i < nn - LEAD; i++) {
    let j = i + delayAt(utts, i);
    if (j < LEAD) j = LEAD;
    if (j >= nn - LEAD) j = nn - LEAD - 1;
    tweaked[i] = deg[j];
  }

  const frames = stopFrame + 1;
  const bad = new Uint8Array(frames);
  const smeared = new Uint8Array(frames);
  for (let f = 0; f < frames; f++) bad[f] = symmetric[f] > THRESHOLD_BAD_FRAMES ? 1 : 0;
  bad[0] = 0;
  const SMEAR = 2;
  for (let f = SMEAR; f < stopFrame - SMEAR; f++) {
    let left = bad[f];
    let right = bad[f];
    for (let i = -SMEAR; i <= 0; i++) left = Math.max(left, bad[f + i]);
    for (let i = 0; i <= SMEAR; i++) right = Math.max(right, bad[f + i]);
    smeared[f] = Math.min(left, right);
  }

  const intervals: { startFrame: number; stopFrame: number }[] = [];
  let f = 0;
  while (f <= stopFrame) {
    while (f <= stopFrame && !smeared[f]) f++;
    if (f > stopFrame) break;
    const start = f;
    while (f <= stopFrame && smeared[f]) f++;
    if (f <= stopFrame && f - start >= 5) intervals.push({ startFrame: start, stopFrame: f });
  }
  if (intervals.length === 0) return;

  const range = 4 * FRAME;
  const doubly = new Float32Array(maxN + DATA_PADDING);
  doubly.set(tweaked.subarray(0, maxN + DATA_PADDING));
  const last = maxN - LEAD + DATA_PADDING;
  for (const iv of intervals) {
    const startSample = iv.startFrame * HOP + LEAD;
    const stopSample = iv.stopFrame * HOP + FRAME + LEAD;
    const count = stopSample - startSample;
    const a = new Float32Array(2 * range + count);
    const b = new Float32Array(2 * range + count);
    for (let i = 0; i < count; i++) a[range + i] = ref[startSample + i];
    for (let i = 0; i < b.length; i++) {
      let j = startSample - range + i;
      if (j < LEAD) j = LEAD;
      if (j >= last) j = last - 1;
      b[i] = tweaked[j];
    }
    const delay = envelopeDelay(a, b, range);
    for (let i = startSample; i < stopSample; i++) {
      let j = i + delay;
      if (j < 0) j = 0;
      if (j >= maxN) j = maxN - 1;
      doubly[i] = tweaked[j];
    }
  }

  for (const iv of intervals) {
    const stop = Math.min(iv.stopFrame, stopFrame);
    for (let fr = iv.startFrame; fr < stop; fr++) spectra.barkDensity(doubly, LEAD + fr * HOP, ppdDeg, fr * NB);
    const gain = new GainTracker();
    for (let fr = iv.startFrame; fr < stop; fr++) {
      const scale = gain.next(fr, totalAudible(ppdRef, fr * NB, 1), totalAudible(ppdDeg, fr * NB, 1));
      const [s, a] = scratch.disturbance(ppdRef, ppdDeg, fr * NB, scale);
      symmetric[fr] = Math.min(symmetric[fr], s);
      asymmetric[fr] = Math.min(asymmetric[fr], a);
    }
  }
}
