/**
 * WB-PESQ on signals made here (no ../shared needed): the score's fixed points and orderings,
 * the time alignment (a constant delay, a delay change inside the file), the errors for input
 * PESQ cannot score, and the FFT helpers it is built on.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadSpeech } from '../src/audio/load.js';
import { UserError } from '../src/errors.js';
import { pesqDetailed, pesqWb } from '../src/eval/pesq.js';
import { crossCorrelationMagnitude, pairForward, realInverse } from '../src/eval/pesq/fft.js';
import { wideBandMosLqo } from '../src/eval/pesq/aggregate.js';
import { REPO_ROOT } from './helpers/cli.js';
import { mulberry32 } from './helpers/signals.js';

const FS = 16000;
const speech = (await loadSpeech(path.join(REPO_ROOT, 'data', 'sample.wav'), FS)).samples;

function withNoise(x: Float32Array, amplitude: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  return x.map((v) => v + amplitude * (rnd() - 0.5));
}

describe('WB-PESQ scores', () => {
  it('identical signals get the P.862.2 maximum, 4.644 (raw 4.5)', () => {
    const r = pesqDetailed(speech, speech, FS);
    expect(r.raw).toBeCloseTo(4.5, 6);
    expect(r.mos).toBeCloseTo(wideBandMosLqo(4.5), 9);
    expect(r.mos).toBeCloseTo(4.644, 3);
  });

  it('more noise gives a lower score', () => {
    const scores = [0.001, 0.005, 0.02, 0.08].map((a) => pesqWb(speech, withNoise(speech, a, 7), FS));
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThan(scores[i - 1] - 0.1);
    expect(scores[0]).toBeLessThan(4.5);
    expect(scores[scores.length - 1]).toBeGreaterThanOrEqual(1.0);
  });

  it('a 100 ms delay with nothing cut off still scores above 4.5, and the delay is found', () => {
    const delayed = new Float32Array(speech.length + 1600);
    delayed.set(speech, 1600);
    const r = pesqDetailed(speech, delayed, FS);
    expect(r.mos).toBeGreaterThan(4.5);
    for (const u of r.utterances) expect(u.delay).toBe(1600);
  });

  it('a 40 ms cut in the middle is found as a delay change between utterances', () => {
    const mid = Math.floor(speech.length / 2);
    const cut = new Float32Array(speech.length - 640);
    cut.set(speech.subarray(0, mid));
    cut.set(speech.subarray(mid + 640), mid);
    const r = pesqDetailed(speech, cut, FS);
    const delays = r.utterances.map((u) => u.delay);
    expect(delays[0]).toBe(0);
    expect(delays[delays.length - 1]).toBe(-640);
    expect(r.mos).toBeGreaterThan(4.4);
  });

  it('the mapping is P.862.2: 0.999 + 4 / (1 + exp(−1.3669·raw + 3.8224))', () => {
    expect(wideBandMosLqo(4.5)).toBeCloseTo(4.6439, 4);
    expect(wideBandMosLqo(-0.5)).toBeCloseTo(0.999 + 4 / (1 + Math.exp(1.3669 * 0.5 + 3.8224)), 12);
    expect(wideBandMosLqo(2)).toBeLessThan(wideBandMosLqo(3));
  });
});

describe('WB-PESQ refuses what it cannot score, with one-line user errors', () => {
  const expectUserError = (f: () => unknown, re: RegExp): void => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('\n');
  };

  it('under 0.25 s', () => {
    const short = speech.subarray(0, 3200);
    expectUserError(() => pesqWb(short, short, FS), /at least 0\.25 s.*0\.200 s/);
  });
  it('another sample rate', () => {
    expectUserError(() => pesqWb(speech, speech, 8000), /16000 Hz; got 8000 Hz/);
  });
  it('non-finite samples', () => {
    const bad = speech.slice();
    bad[100] = NaN;
    expectUserError(() => pesqWb(speech, bad, FS), /degraded signal has a non-finite sample at 100/);
  });
  it('an all-zero reference (an all-zero degraded signal is scored, near the floor of the scale)', () => {
    expectUserError(() => pesqWb(new Float32Array(speech.length), speech, FS), /reference signal is silent/);
    const silent = pesqWb(speech, new Float32Array(speech.length), FS);
    expect(silent).toBeGreaterThanOrEqual(1.0);
    expect(silent).toBeLessThan(1.5);
  });
});

describe('PESQ FFT helpers', () => {
  const rnd = mulberry32(3);
  const n = 256;
  const a = Float32Array.from({ length: n }, () => rnd() - 0.5);
  const b = Float32Array.from({ length: n }, () => rnd() - 0.5);
  const naive = (x: Float32Array, k: number): [number, number] => {
    let re = 0;
    let im = 0;
    for (let t = 0; t < x.length; t++) {
      re += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      im -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
    return [re, im];
  };

  it('pairForward gives both signals\' DFTs from one complex transform, realInverse undoes them', () => {
    const sa = new Float64Array(n + 2);
    const sb = new Float64Array(n + 2);
    pairForward(n, a, 0, n, b, 0, n, null, sa, sb);
    for (let k = 0; k <= n / 2; k++) {
      const [ar, ai] = naive(a, k);
      const [br, bi] = naive(b, k);
      expect(sa[2 * k]).toBeCloseTo(ar, 9);
      expect(sa[2 * k + 1]).toBeCloseTo(ai, 9);
      expect(sb[2 * k]).toBeCloseTo(br, 9);
      expect(sb[2 * k + 1]).toBeCloseTo(bi, 9);
    }
    const back = new Float64Array(n);
    realInverse(n, sa, back);
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(a[i], 12);
    realInverse(n, sb, back);
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(b[i], 12);
    // An empty partner (count 0) is a zero signal.
    pairForward(n, a, 0, n, b, 0, 0, null, sa, sb);
    for (let k = 0; k <= n / 2; k++) {
      expect(sb[2 * k]).toBeCloseTo(0, 12);
      expect(sb[2 * k + 1]).toBeCloseTo(0, 12);
    }
  });

  it('crossCorrelationMagnitude is |Σ a[t]·b[t + lag]| (circular, windowed) up to one scale factor', () => {
    const win = Float32Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
    const out = new Float64Array(n);
    const max = crossCorrelationMagnitude(n, a, 0, b, 0, win, out);
    const direct = new Float64Array(n);
    for (let lag = 0; lag < n; lag++) {
      let sum = 0;
      for (let t = 0; t < n; t++) sum += a[t] * win[t] * b[(t + lag) % n] * win[(t + lag) % n];
      direct[lag] = Math.abs(sum);
    }
    const scale = max / Math.max(...direct);
    expect(scale).toBeGreaterThan(0);
    for (let lag = 0; lag < n; lag++) expect(out[lag]).toBeCloseTo(direct[lag] * scale, 6);
    expect(Math.max(...out)).toBe(max);
  });
});
