/**
 * PESQ's signal layout and pre-processing (P.862 §10.2.1–10.2.2, P.862.2 §2):
 * each signal is held as 16-bit-scale samples between LEAD zeros in front and
 * LEAD + DATA_PADDING zeros behind, then
 *   1. level alignment: scaled so that its 300–3500 Hz band has mean power 10⁷;
 *   2. the P.862.2 input filter (a 100 Hz high-pass in place of the IRS receive filter);
 *   3. for time alignment only: DC removal and the alignment band filter.
 */
import { nextPowerOfTwo, pairFilter, scratch } from './fft.js';
import {
  ALIGN_FILTER_DB,
  ALIGN_IIR_16K,
  DATA_PADDING,
  DOWNSAMPLE,
  LEAD,
  PESQ_SAMPLE_RATE,
  TARGET_AVG_POWER,
  WB_INPUT_FILTER,
} from './tables.js';

export interface PaddedSignal {
  /** n + DATA_PADDING samples. */
  data: Float32Array;
  /** Signal length plus both search buffers (2·LEAD): the recommendation's "Nsamples". */
  n: number;
}

/** Put samples in [−1, 1] on the 16-bit scale into the padded layout. */
export function padSignal(x: ArrayLike<number>): PaddedSignal {
  const n = x.length + 2 * LEAD;
  const data = new Float32Array(n + DATA_PADDING);
  for (let i = 0; i < x.length; i++) data[LEAD + i] = x[i] * 32768;
  return { data, n };
}

/** Linear interpolation in dB over a (Hz, dB) curve, extrapolating from the end segments. */
function curveDb(freq: number, curve: readonly (readonly [number, number])[]): number {
  const last = curve.length - 1;
  let i: number;
  if (freq <= curve[0][0]) i = 1;
  else if (freq >= curve[last][0]) i = last;
  else {
    i = 1;
    while (curve[i][0] < freq) i++;
  }
  const [f0, c0] = curve[i - 1];
  const [f1, c1] = curve[i];
  return ((freq - f0) * c1 + (f1 - freq) * c0) / (f1 - f0);
}

const curveGains = new Map<string, Float64Array>();

/** Linear gains of a dB curve (normalised to 0 dB at 1 kHz) at the bins of a size-point FFT. */
function curveGain(size: number, name: string, curve: readonly (readonly [number, number])[]): Float64Array {
  const key = `${name}:${size}`;
  let g = curveGains.get(key);
  if (g === undefined) {
    g = new Float64Array(size / 2 + 1);
    const gain1k = curveDb(1000, curve);
    const resolution = PESQ_SAMPLE_RATE / size;
    for (let k = 0; k <= size / 2; k++) g[k] = Math.pow(10, (curveDb(k * resolution, curve) - gain1k) / 20);
    curveGains.set(key, g);
  }
  return g;
}

function sumSquares(x: Float64Array, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += x[i] * x[i];
  return s;
}

/**
 * Band powers (sums of squares) of both signals' regions after the level-alignment filter.
 * Each signal is filtered in a transform of its own region's power-of-two size, as the
 * recommendation does; when the sizes agree (almost always) both share one transform pair.
 */
function bandPowers(a: PaddedSignal, b: PaddedSignal): [number, number] {
  const lenA = a.n - 2 * LEAD + DATA_PADDING;
  const lenB = b.n - 2 * LEAD + DATA_PADDING;
  const sizeA = nextPowerOfTwo(lenA);
  const sizeB = nextPowerOfTwo(lenB);
  if (sizeA !== sizeB) return [bandPower(a.data, lenA, sizeA), bandPower(b.data, lenB, sizeB)];
  const outA = scratch('band-a', sizeA);
  const outB = scratch('band-b', sizeA);
  pairFilter(sizeA, a.data, LEAD, lenA, b.data, LEAD, lenB, curveGain(sizeA, 'align', ALIGN_FILTER_DB), outA, outB);
  return [sumSquares(outA, lenA), sumSquares(outB, lenB)];
}

/** One signal's band power, alone in its transform (an empty partner). */
function bandPower(data: Float32Array, len: number, size: number): number {
  const out = scratch('band-a', size);
  pairFilter(size, data, LEAD, len, data, 0, 0, curveGain(size, 'align', ALIGN_FILTER_DB), out, scratch('band-b', size));
  return sumSquares(out, len);
}

/**
 * Level alignment of both signals: the power of each one's 300–3500 Hz band (a zero-phase FFT
 * filter of the whole region), averaged over the longer signal's length, is brought to
 * TARGET_AVG_POWER. Returns the signal that has no energy in that band (PESQ cannot score
 * it), or null.
 */
export function alignLevels(ref: PaddedSignal, deg: PaddedSignal): 'reference' | 'degraded' | null {
  const maxN = Math.max(ref.n, deg.n);
  const [pRef, pDeg] = bandPowers(ref, deg);
  const divisor = maxN - 2 * LEAD + DATA_PADDING;
  for (const [s, power, name] of [[ref, pRef / divisor, 'reference'], [deg, pDeg / divisor, 'degraded']] as const) {
    // An all-zero degraded signal stays silent (the caller has rejected a silent reference).
    if (name === 'degraded' && s.data.every((v) => v === 0)) continue;
    if (!(power > 0)) return name;
    const scale = Math.sqrt(TARGET_AVG_POWER / power);
    for (let i = 0; i < s.n; i++) s.data[i] *= scale;
  }
  return null;
}

/**
 * Cascade of biquads over data[start, start + count), direct form II, zero initial state.
 * Sections run two per pass over the data (half the memory traffic); the value between the
 * two is rounded to single precision, as when each section writes the float buffer.
 */
export function biquadCascade(data: Float32Array, start: number, count: number, sections: readonly number[]): void {
  const end = start + count;
  let s = 0;
  for (; s + 9 < sections.length; s += 10) {
    const b0 = sections[s], b1 = sections[s + 1], b2 = sections[s + 2], a1 = sections[s + 3], a2 = sections[s + 4];
    const c0 = sections[s + 5], c1 = sections[s + 6], c2 = sections[s + 7], d1 = sections[s + 8], d2 = sections[s + 9];
    let z1 = 0;
    let z2 = 0;
    let w1 = 0;
    let w2 = 0;
    for (let i = start; i < end; i++) {
      const z0 = data[i] - a1 * z1 - a2 * z2;
      const y = Math.fround(b0 * z0 + b1 * z1 + b2 * z2);
      z2 = z1;
      z1 = z0;
      const w0 = y - d1 * w1 - d2 * w2;
      data[i] = c0 * w0 + c1 * w1 + c2 * w2;
      w2 = w1;
      w1 = w0;
    }
  }
  if (s + 4 < sections.length) {
    const b0 = sections[s], b1 = sections[s + 1], b2 = sections[s + 2], a1 = sections[s + 3], a2 = sections[s + 4];
    let z1 = 0;
    let z2 = 0;
    for (let i = start; i < end; i++) {
      const z0 = data[i] - a1 * z1 - a2 * z2;
      data[i] = b0 * z0 + b1 * z1 + b2 * z2;
      z2 = z1;
      z1 = z0;
    }
  }
}

/**
 * P.862.2's input filter: a 16-sample linear fade at both ends of the signal, then the 100 Hz
 * high-pass over the signal region.
 */
export function wideBandInputFilter(s: PaddedSignal): void {
  const d = s.data;
  for (let i = 1; i < 16; i++) {
    d[LEAD + i - 1] *= i / 16;
    d[s.n - LEAD - i] *= i / 16;
  }
  biquadCascade(d, LEAD, s.n - 2 * LEAD, WB_INPUT_FILTER);
}

/**
 * Pre-processing for the delay estimation only: remove the mean (taken over n, as the
 * recommendation does), fade one VAD window in and out, then the alignment band filter over the
 * whole buffer.
 */
export function alignmentFilter(s: PaddedSignal): void {
  const d = s.data;
  const end = s.n - LEAD;
  let mean = 0;
  for (let i = LEAD; i < end; i++) mean += d[i];
  mean /= s.n;
  for (let i = LEAD; i < end; i++) d[i] -= mean;
  for (let c = 0; c < DOWNSAMPLE; c++) {
    const g = (0.5 + c) / DOWNSAMPLE;
    d[LEAD + c] *= g;
    d[end - 1 - c] *= g;
  }
  biquadCascade(d, 0, s.n + DATA_PADDING, ALIGN_IIR_16K);
}
