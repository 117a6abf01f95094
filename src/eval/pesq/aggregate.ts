/**
 * From frame disturbances to a score (P.862 §10.2.12–10.2.13, P.862.2 §3): loudness
 * weighting, L6 over 320 ms "syllables" and L2 over time, the raw PESQ score, and the
 * P.862.2 mapping to wideband MOS-LQO.
 */
import { A_POW_S, A_POW_T, A_WEIGHT, D_POW_S, D_POW_T, D_WEIGHT, HOP, LEAD } from './tables.js';
import type { FrameDisturbances } from './perceptual-model.js';


const FRAMES_PER_SYLLABLE = 20;

/** L_ps over half-overlapping 20-frame syllables, then weighted L_pt over syllables. */
function lpqWeight(start: number, stop: number, pSyllable: number, pTime: number, d: Float64Array, timeWeight: Float64Array): number {
  let resultTime = 0;
  let totalWeight = 0;
  for (let s = start; s <= stop; s += FRAMES_PER_SYLLABLE / 2) {
    let sum = 0;
    for (let f = s; f < s + FRAMES_PER_SYLLABLE; f++) if (f <= stop) sum += Math.pow(d[f], pSyllable);
    const syllable = Math.pow(sum / FRAMES_PER_SYLLABLE, 1 / pSyllable);
    // The weight is indexed from the first scored frame, as in the recommendation's code.
    const w = timeWeight[s - start];
    resultTime += Math.pow(w * syllable, pTime);
    totalWeight += Math.pow(w, pTime);
  }
  return Math.pow(resultTime / totalWeight, 1 / pTime);
}

/** Raw P.862 score: 4.5 − 0.1·D − 0.0309·A. */
export function rawScore(fd: FrameDisturbances): number {
  const { startFrame, stopFrame, symmetric, asymmetric, refPower, maxN } = fd;
  const frames = stopFrame + 1;
  const timeWeight = new Float64Array(frames).fill(1);
  if (frames > 1000) {
    // Long files: later frames count more (up to 1:2), as listeners remember the end better.
    const n = Math.trunc((maxN - 2 * LEAD) / HOP) - 1;
    const factor = Math.min(0.5, (n - 1000) / 5500);
    for (let f = 0; f < frames; f++) timeWeight[f] = 1 - factor + (factor * f) / n;
  }
  const d = new Float64Array(frames);
  const a = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    // Disturbances in loud frames count slightly less.
    const h = Math.pow((refPower[f] + 1e5) / 1e7, 0.04);
    d[f] = Math.min(45, symmetric[f] / h);
    a[f] = Math.min(45, asymmetric[f] / h);
  }
  const dIndicator = lpqWeight(startFrame, stopFrame, D_POW_S, D_POW_T, d, timeWeight);
  const aIndicator = lpqWeight(startFrame, stopFrame, A_POW_S, A_POW_T, a, timeWeight);
  return 4.5 - D_WEIGHT * dIndicator - A_WEIGHT * aIndicator;
}

/** P.862.2 mapping of the raw score to wideband MOS-LQO (1.04 … 4.64). */
export function wideBandMosLqo(raw: number): number {
  return 0.999 + 4 / (1 + Math.exp(-1.3669 * raw + 3.8224));
}
