/**
 * PESQ time alignment (P.862 §10.2.4–10.2.7): a crude delay from the cross-correlation of the
 * two VAD log-envelopes, utterances located in the reference, a crude then a fine (histogram
 * of per-frame cross-correlation peaks) delay for each utterance, and the splitting of an
 * utterance in two where its delay changes inside it.
 *
 * Positions are in VAD windows (DOWNSAMPLE samples) of the padded layout; delays are in samples:
 * degraded sample i + delay matches reference sample i.
 */
import { UserError } from '../../errors.js';
import { crossCorrelationMagnitude, nextPowerOfTwo, pairForward, realInverse, scratch } from './fft.js';
import type { PaddedSignal } from './signal.js';
import { ALIGN_NFFT, DOWNSAMPLE, MAX_UTTERANCES, MIN_UTTERANCE_LENGTH, SEARCH_BUFFER } from './tables.js';

/** One utterance: its reference span (VAD windows) and its delay. */
export interface Utterance {
  start: number;
  end: number;
  /** Fine delay in samples. */
  delay: number;
  /** Crude delay estimate from the envelopes, in samples. */
  delayEst: number;
  /** Height of the fine-delay histogram peak: how sure the delay is. */
  confidence: number;
  searchStart: number;
  searchEnd: number;
}

export interface AlignInput {
  ref: PaddedSignal;
  deg: PaddedSignal;
  refVad: Float32Array;
  refLogVad: Float32Array;
  degLogVad: Float32Array;
}

const trunc = Math.trunc;

/**
 * Lag (in VAD windows) that maximises the cross-correlation of ref[startR, startR + nr) and
 * deg[startD, startD + nd); 0 when either span is too short. Ties keep the smallest lag index,
 * starting from the most negative lag.
 */
function envelopeLag(ref: Float32Array, startR: number, nr: number, deg: Float32Array, startD: number, nd: number): number {
  if (nr <= 1 || nd <= 1) return 0;
  const size = 2 * nextPowerOfTwo(Math.max(nr, nd));
  const a = scratch('lag-a', size + 2);
  const b = scratch('lag-b', size + 2);
  const rev = new Float32Array(nr);
  for (let i = 0; i < nr; i++) rev[i] = ref[startR + nr - 1 - i];
  pairForward(size, rev, 0, nr, deg, startD, nd, null, a, b);
  for (let k = 0; k <= size / 2; k++) {
    const ar = a[2 * k];
    const ai = a[2 * k + 1];
    const br = b[2 * k];
    const bi = b[2 * k + 1];
    a[2 * k] = ar * br - ai * bi;
    a[2 * k + 1] = ar * bi + ai * br;
  }
  const y = scratch('lag-y', size);
  realInverse(size, a, y);
  let max = 0;
  let best = nr - 1;
  for (let k = 0; k < nr + nd - 1; k++) {
    if (y[k] > max) {
      max = y[k];
      best = k;
    }
  }
  return best - nr + 1;
}

/** Crude delay of the whole signal, in samples. */
function wholeSignalDelay(a: AlignInput): number {
  const nr = trunc(a.ref.n / DOWNSAMPLE);
  const nd = trunc(a.deg.n / DOWNSAMPLE);
  return envelopeLag(a.refLogVad, 0, nr, a.degLogVad, 0, nd) * DOWNSAMPLE;
}

/** Crude delay of the reference span [searchStart, searchEnd) around a prior estimate (samples). */
function spanDelay(a: AlignInput, searchStart: number, searchEnd: number, prior: number): number {
  const priorWin = trunc(prior / DOWNSAMPLE);
  let startR = searchStart;
  let startD = startR + priorWin;
  if (startD < 0) {
    startR = -priorWin;
    startD = 0;
  }
  const nr = searchEnd - startR;
  let nd = nr;
  const degWindows = trunc(a.deg.n / DOWNSAMPLE);
  if (startD + nd > degWindows) nd = degWindows - startD;
  return envelopeLag(a.refLogVad, startR, nr, a.degLogVad, startD, nd) * DOWNSAMPLE + prior;
}

const HANN_ALIGN = (() => {
  const w = new Float32Array(ALIGN_NFFT);
  for (let i = 0; i < ALIGN_NFFT; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * i) / ALIGN_NFFT));
  return w;
})();

const KERNEL = ALIGN_NFFT / 64;

/** Per-frame cross-correlation with preallocated scratch. */
class FrameCorrelator {
  readonly corr = new Float64Array(ALIGN_NFFT);

  constructor(private readonly ref: Float32Array, private readonly deg: Float32Array) {}

  /**
   * |circular cross-correlation| of the windowed frames at ref[startR] and deg[startD] into
   * `corr`; returns the vote threshold 0.99·max. Lags above it get a vote of weight threshold^⅛.
   */
  correlate(startR: number, startD: number): number {
    // Scale-free: a common factor on every correlation scales every vote by the same amount,
    // which the histogram's normalisation and peak search do not see.
    return 0.99 * crossCorrelationMagnitude(ALIGN_NFFT, this.ref, startR, this.deg, startD, HANN_ALIGN, this.corr);
  }
}

/** Histogram of frame-correlation peaks, smoothed by a triangle of half-width KERNEL. */
class DelayHistogram {
  readonly h = new Float64Array(ALIGN_NFFT);
  sum = 0;

  reset(): void {
    this.h.fill(0);
    this.sum = 0;
  }

  vote(corr: Float64Array, threshold: number): void {
    const weight = Math.pow(threshold, 0.125);
    const h = this.h;
    for (let i = 0; i < ALIGN_NFFT; i++) {
      if (corr[i] > threshold) {
        this.sum += weight;
        for (let k = 1 - KERNEL; k < KERNEL; k++) h[(i + k + ALIGN_NFFT) % ALIGN_NFFT] += (weight * (KERNEL - Math.abs(k))) / KERNEL;
      }
    }
  }

  /** The peak lag (−N/2 … N/2 − 1) and its normalised height. */
  peak(): { lag: number; confidence: number } {
    let vmax = 0;
    let imax = 0;
    for (let i = 0; i < ALIGN_NFFT; i++) {
      if (this.h[i] > vmax) {
        vmax = this.h[i];
        imax = i;
      }
    }
    if (imax >= ALIGN_NFFT / 2) imax -= ALIGN_NFFT;
    return { lag: imax, confidence: this.sum > 0 ? vmax / this.sum : 0 };
  }
}

/** Sliding frame pair walking forward (or backward) through the signals at a fixed delay. */
class FrameWalk {
  startR: number;
  startD: number;
  constructor(startR: number, startD: number) {
    this.startR = startR;
    this.startD = startD;
  }
}

function walkForward(a: AlignInput, walk: FrameWalk, limitR: number, fc: FrameCorrelator, hist: DelayHistogram): void {
  while (walk.startD + ALIGN_NFFT <= a.deg.n && walk.startR + ALIGN_NFFT <= limitR) {
    const threshold = fc.correlate(walk.startR, walk.startD);
    hist.vote(fc.corr, threshold);
    walk.startR += ALIGN_NFFT / 4;
    walk.startD += ALIGN_NFFT / 4;
  }
}

function walkBackward(walk: FrameWalk, limitR: number, fc: FrameCorrelator, hist: DelayHistogram): void {
  while (walk.startD >= 0 && walk.startR >= limitR) {
    const threshold = fc.correlate(walk.startR, walk.startD);
    hist.vote(fc.corr, threshold);
    walk.startR -= ALIGN_NFFT / 4;
    walk.startD -= ALIGN_NFFT / 4;
  }
}

function forwardWalkFrom(startWin: number, estDelay: number): FrameWalk {
  let startR = startWin * DOWNSAMPLE;
  let startD = startR + estDelay;
  if (startD < 0) {
    startR = -estDelay;
    startD = 0;
  }
  return new FrameWalk(startR, startD);
}

/** Fine delay of a reference span around the crude estimate (§10.2.6). */
function fineDelay(a: AlignInput, searchStart: number, searchEnd: number, estDelay: number, fc: FrameCorrelator, hist: DelayHistogram): { delay: number; confidence: number } {
  hist.reset();
  walkForward(a, forwardWalkFrom(searchStart, estDelay), searchEnd * DOWNSAMPLE, fc, hist);
  const { lag, confidence } = hist.peak();
  return { delay: estDelay + lag, confidence };
}

/** Search windows: VAD bursts of the reference, widened by SEARCH_BUFFER, long enough and overlapping the degraded signal. */
function findSearchWindows(a: AlignInput, crudeDelay: number): Utterance[] {
  const vad = a.refVad;
  const vadLength = trunc(a.ref.n / DOWNSAMPLE);
  const degStart = MIN_UTTERANCE_LENGTH - trunc(crudeDelay / DOWNSAMPLE);
  const degEnd = trunc((a.deg.n - crudeDelay) / DOWNSAMPLE) - MIN_UTTERANCE_LENGTH;
  const out: Utterance[] = [];
  let inSpeech = false;
  let thisStart = 0;
  let searchStart = 0;
  for (let c = 0; c < vadLength; c++) {
    const v = vad[c];
    if (v > 0 && !inSpeech) {
      inSpeech = true;
      thisStart = c;
      searchStart = Math.max(0, c - SEARCH_BUFFER);
    }
    if ((v === 0 || c === vadLength - 1) && inSpeech) {
      inSpeech = false;
      const searchEnd = Math.min(c + SEARCH_BUFFER, vadLength - 1);
      if (c - thisStart >= MIN_UTTERANCE_LENGTH && thisStart < degEnd && c > degStart) {
        if (out.length >= MAX_UTTERANCES) throw new UserError(`PESQ: more than ${MAX_UTTERANCES} utterances in the reference`);
        out.push({ start: thisStart, end: c, delay: 0, delayEst: 0, confidence: 0, searchStart, searchEnd });
      }
    }
  }
  return out;
}

/**
 * Utterance boundaries (§10.2.7): the first starts at the search buffer, the last ends at the
 * signal's end, neighbours meet half-way between bursts, and boundaries are moved so that no
 * utterance reads outside the degraded signal and neighbours do not overlap in it.
 */
function placeBoundaries(a: AlignInput, utts: Utterance[]): void {
  const count = utts.length;
  const vadLength = trunc(a.ref.n / DOWNSAMPLE);
  utts[0].start = SEARCH_BUFFER;
  utts[count - 1].end = vadLength - SEARCH_BUFFER;
  for (let u = 1; u < count; u++) {
    const mid = trunc((utts[u].start + utts[u - 1].end) / 2);
    utts[u].start = mid;
    utts[u - 1].end = mid;
  }
  const first = utts[0];
  if (first.start * DOWNSAMPLE + first.delay < SEARCH_BUFFER * DOWNSAMPLE) {
    first.start = SEARCH_BUFFER + trunc((DOWNSAMPLE - 1 - first.delay) / DOWNSAMPLE);
  }
  const last = utts[count - 1];
  if (last.end * DOWNSAMPLE + last.delay > a.deg.n - SEARCH_BUFFER * DOWNSAMPLE) {
    last.end = trunc((a.deg.n - last.delay) / DOWNSAMPLE) - SEARCH_BUFFER;
  }
  for (let u = 1; u < count; u++) {
    const thisStart = utts[u].start * DOWNSAMPLE + utts[u].delay;
    const lastEnd = utts[u - 1].end * DOWNSAMPLE + utts[u - 1].delay;
    if (thisStart < lastEnd) {
      const mid = trunc((thisStart + lastEnd) / 2);
      utts[u].start = trunc((DOWNSAMPLE - 1 + mid - utts[u].delay) / DOWNSAMPLE);
      utts[u - 1].end = trunc((mid - utts[u - 1].delay) / DOWNSAMPLE);
    }
  }
}

interface SplitResult {
  est1: number; delay1: number; conf1: number;
  est2: number; delay2: number; conf2: number;
  breakpoint: number;
}

/**
 * Best split of one utterance at a breakpoint where the parts before and after have different
 * delays, each more certain than the whole (§10.2.7). Breakpoints step through the speech part;
 * the histograms of breakpoints that share a crude estimate are accumulated incrementally.
 */
function bestSplit(a: AlignInput, u: Utterance, speechStart: number, speechEnd: number, fc: FrameCorrelator, hist: DelayHistogram): SplitResult | null {
  const len = speechEnd - speechStart;
  const delta = ALIGN_NFFT / (4 * DOWNSAMPLE);
  const step = trunc((0.801 * len + 40 * delta - 1) / (40 * delta)) * delta;
  const pad = Math.max(trunc(len / 10), 75);
  const bps: number[] = [speechStart + pad];
  let nbp = 0;
  do {
    nbp++;
    bps[nbp] = bps[nbp - 1] + step;
  } while (bps[nbp] <= speechEnd - pad && nbp < 40);

  const ed1 = new Array<number>(nbp);
  const ed2 = new Array<number>(nbp);
  for (let bp = 0; bp < nbp; bp++) {
    ed1[bp] = spanDelay(a, u.start, bps[bp], u.delayEst);
    ed2[bp] = spanDelay(a, bps[bp], u.end, u.delayEst);
  }

  const UNSET = -2;
  const d1 = new Array<number>(nbp).fill(0);
  const dc1 = new Array<number>(nbp).fill(UNSET);
  for (;;) {
    let bp = 0;
    while (bp < nbp && dc1[bp] > UNSET) bp++;
    if (bp >= nbp) break;
    const est = ed1[bp];
    hist.reset();
    const walk = forwardWalkFrom(u.start, est);
    walkForward(a, walk, bps[bp] * DOWNSAMPLE, fc, hist);
    let p = hist.peak();
    d1[bp] = est + p.lag;
    dc1[bp] = p.confidence;
    while (bp < nbp - 1) {
      bp++;
      if (ed1[bp] === est && dc1[bp] <= UNSET) {
        walkForward(a, walk, bps[bp] * DOWNSAMPLE, fc, hist);
        p = hist.peak();
        d1[bp] = est + p.lag;
        dc1[bp] = p.confidence;
      }
    }
  }

  const d2 = new Array<number>(nbp).fill(0);
  const dc2 = new Array<number>(nbp);
  for (let bp = 0; bp < nbp; bp++) dc2[bp] = dc1[bp] > u.confidence ? UNSET : 0;
  for (;;) {
    let bp = nbp - 1;
    while (bp >= 0 && dc2[bp] > UNSET) bp--;
    if (bp < 0) break;
    const est = ed2[bp];
    hist.reset();
    let startR = u.end * DOWNSAMPLE - ALIGN_NFFT;
    let startD = startR + est;
    if (startD + ALIGN_NFFT > a.deg.n) {
      startD = a.deg.n - ALIGN_NFFT;
      startR = startD - est;
    }
    const walk = new FrameWalk(startR, startD);
    walkBackward(walk, bps[bp] * DOWNSAMPLE, fc, hist);
    let p = hist.peak();
    d2[bp] = est + p.lag;
    dc2[bp] = p.confidence;
    while (bp > 0) {
      bp--;
      if (ed2[bp] === est && dc2[bp] <= UNSET) {
        walkBackward(walk, bps[bp] * DOWNSAMPLE, fc, hist);
        p = hist.peak();
        d2[bp] = est + p.lag;
        dc2[bp] = p.confidence;
      }
    }
  }

  let best: SplitResult | null = null;
  let bestSum = 0;
  for (let bp = 0; bp < nbp; bp++) {
    if (
      Math.abs(d2[bp] - d1[bp]) >= DOWNSAMPLE &&
      dc1[bp] + dc2[bp] > bestSum &&
      dc1[bp] > u.confidence &&
      dc2[bp] > u.confidence
    ) {
      bestSum = dc1[bp] + dc2[bp];
      best = { est1: ed1[bp], delay1: d1[bp], conf1: dc1[bp], est2: ed2[bp], delay2: d2[bp], conf2: dc2[bp], breakpoint: bps[bp] };
    }
  }
  return best;
}

/** Split utterances whose delay changes inside them, repeatedly, up to MAX_UTTERANCES. */
function splitUtterances(a: AlignInput, utts: Utterance[], fc: FrameCorrelator, hist: DelayHistogram): void {
  const vad = a.refVad;
  let id = 0;
  while (id < utts.length && utts.length < MAX_UTTERANCES) {
    const u = utts[id];
    let speechStart = u.start;
    while (speechStart < u.end && vad[speechStart] <= 0) speechStart++;
    let speechEnd = u.end;
    while (speechEnd > u.start && vad[speechEnd] <= 0) speechEnd--;
    speechEnd++;
    if (speechEnd - speechStart < 200) {
      id++;
      continue;
    }
    const s = bestSplit(a, u, speechStart, speechEnd, fc, hist);
    if (s === null || !(s.conf1 > u.confidence && s.conf2 > u.confidence)) {
      id++;
      continue;
    }
    // The recommendation's reference code carries the search window of a shifted utterance
    // over from its span; kept so that results agree.
    const second: Utterance = {
      start: 0, end: u.end, delay: s.delay2, delayEst: s.est2, confidence: s.conf2,
      searchStart: u.searchStart, searchEnd: u.searchEnd,
    };
    for (let k = id + 1; k < utts.length; k++) {
      utts[k].searchStart = utts[k].start;
      utts[k].searchEnd = utts[k].end;
    }
    const originalStart = u.start;
    u.delay = s.delay1;
    u.delayEst = s.est1;
    u.confidence = s.conf1;
    if (s.delay2 < s.delay1) {
      u.start = originalStart;
      u.end = s.breakpoint;
      second.start = s.breakpoint;
    } else {
      const half = trunc((s.delay2 - s.delay1) / (2 * DOWNSAMPLE));
      u.start = originalStart;
      u.end = s.breakpoint + half;
      second.start = s.breakpoint - half;
    }
    if ((u.start - SEARCH_BUFFER) * DOWNSAMPLE + s.delay1 < 0) {
      u.start = SEARCH_BUFFER + trunc((DOWNSAMPLE - 1 - s.delay1) / DOWNSAMPLE);
    }
    if (second.end * DOWNSAMPLE + s.delay2 > a.deg.n - SEARCH_BUFFER * DOWNSAMPLE) {
      second.end = trunc((a.deg.n - s.delay2) / DOWNSAMPLE) - SEARCH_BUFFER;
    }
    utts.splice(id + 1, 0, second);
  }
}

/**
 * All of PESQ's time alignment: the utterances of the reference with their delays.
 * Throws UserError when the reference has no utterance that PESQ can use.
 */
export function alignUtterances(a: AlignInput): Utterance[] {
  const crude = wholeSignalDelay(a);
  const utts = findSearchWindows(a, crude);
  if (utts.length === 0) {
    throw new UserError('PESQ: no speech found in the reference (no utterance of at least 200 ms overlaps the degraded signal)');
  }
  const fc = new FrameCorrelator(a.ref.data, a.deg.data);
  const hist = new DelayHistogram();
  for (const u of utts) {
    u.delayEst = spanDelay(a, u.searchStart, u.searchEnd, crude);
    const f = fineDelay(a, u.searchStart, u.searchEnd, u.delayEst, fc, hist);
    u.delay = f.delay;
    u.confidence = f.confidence;
  }
  placeBoundaries(a, utts);
  splitUtterances(a, utts, fc, hist);
  return utts;
}
