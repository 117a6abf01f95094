/**
 * Self-contained tests of the evaluation metrics (no ../shared needed): building blocks
 * (Butterworth design, zero-phase filtering, Octave-style resampler, band table, lag edges)
 * and the end-to-end properties the issue asks for: identical signals give STOI = ESTOI = 1
 * and pSNR = the cap, a known delay is found exactly, pSNR falls as white noise grows, and
 * silent or too-short input is a UserError.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { applyLag, crossCorrelation, findLag } from '../src/eval/align.js';
import { butterworthHighpass, butterworthLowpass, cascadeMagnitude, filtfilt, filtfiltPair } from '../src/eval/butterworth.js';
import { scorePair } from '../src/eval/metrics.js';
import { besselI0, kaiserWindow, octaveResampleFilter, resampleOctave, resampleOctavePair } from '../src/eval/octave-resample.js';
import { PSNR_CAP_DB, psnr } from '../src/eval/psnr.js';
import { estoi, stoi, thirdOctaveBands } from '../src/eval/stoi.js';
import { mulberry32 } from './helpers/signals.js';

const FS = 16000;

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Speech-like test signal: a gliding harmonic source (f0 110–190 Hz, harmonics to 4 kHz with
 * 1/k amplitudes) under a 3 Hz syllabic envelope with pauses, plus a little noise.
 */
function speechLike(seconds: number, rate = FS, seed = 1): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  const rand = mulberry32(seed);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const f0 = 150 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / rate;
    let v = 0;
    for (let k = 1; k * f0 < 4000; k++) v += Math.sin(k * phase + k * k * 0.3) / k;
    const env = Math.max(0, Math.sin(2 * Math.PI * 3 * t)) ** 2;
    out[i] = 0.2 * env * v + 0.002 * gaussian(rand);
  }
  return out;
}

function withNoise(x: Float32Array, sigma: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return x.map((v) => v + sigma * gaussian(rand));
}

describe('Butterworth design and zero-phase filtering', () => {
  it('has −3 dB at the cut-off, unit gain in the pass band and 24 dB/octave roll-off', () => {
    const lp = butterworthLowpass(4, 7000, FS);
    const hp = butterworthHighpass(4, 50, FS);
    expect(lp).toHaveLength(2);
    expect(cascadeMagnitude(lp, 7000, FS)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(cascadeMagnitude(hp, 50, FS)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(cascadeMagnitude(lp, 0, FS)).toBeCloseTo(1, 12);
    expect(cascadeMagnitude(hp, FS / 2, FS)).toBeCloseTo(1, 12);
    expect(cascadeMagnitude(lp, 1000, FS)).toBeCloseTo(1, 6);
    // Analog 4th order: |H| ≈ (fc/f)^4 well below a high-pass cut-off: 25 Hz → −24 dB.
    expect(20 * Math.log10(cascadeMagnitude(hp, 25, FS))).toBeCloseTo(-24.1, 0);
  });

  it('filtfilt is zero-phase (a symmetric pulse stays symmetric in place) with |H|² gain', () => {
    const n = 2001;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.exp(-(((i - 1000) / 30) ** 2));
    const y = filtfilt(butterworthLowpass(4, 500, FS), x);
    for (let k = 1; k < 300; k++) expect(y[1000 - k]).toBeCloseTo(y[1000 + k], 9);
    // A 1 kHz tone through a 500 Hz low-pass twice: gain |H(1k)|² in the middle.
    const tone = new Float64Array(8000).map((_, i) => Math.sin((2 * Math.PI * 1000 * i) / FS));
    const lp = butterworthLowpass(4, 500, FS);
    const yt = filtfilt(lp, tone);
    const g = cascadeMagnitude(lp, 1000, FS) ** 2;
    for (let i = 3000; i < 3100; i++) expect(yt[i]).toBeCloseTo(g * tone[i], 6);
  });

  it('filtfiltPair equals two filtfilt calls', () => {
    const rand = mulberry32(8);
    const a = new Float64Array(1000).map(() => gaussian(rand));
    const b = new Float64Array(1000).map(() => gaussian(rand));
    const sos = [...butterworthHighpass(4, 50, FS), ...butterworthLowpass(4, 7000, FS)];
    const [fa, fb] = filtfiltPair(sos, a, b);
    const ea = filtfilt(sos, a), eb = filtfilt(sos, b);
    for (let i = 0; i < 1000; i++) {
      expect(fa[i]).toBeCloseTo(ea[i], 12);
      expect(fb[i]).toBeCloseTo(eb[i], 12);
    }
  });

  it('filtfilt starts in steady state: a constant passes a low-pass unchanged, edges included', () => {
    const y = filtfilt(butterworthLowpass(4, 7000, FS), new Float64Array(500).fill(0.25));
    for (const v of y) expect(v).toBeCloseTo(0.25, 9);
  });
});

describe('Octave-style resampler', () => {
  it('Kaiser window and I0 are right', () => {
    expect(besselI0(0)).toBe(1);
    expect(besselI0(1)).toBeCloseTo(1.2660658777520082, 14);
    expect(besselI0(5)).toBeCloseTo(27.239871823604442, 10);
    const w = kaiserWindow(11, 5);
    expect(w[5]).toBeCloseTo(1, 14);
    for (let i = 0; i < 5; i++) expect(w[i]).toBeCloseTo(w[10 - i], 14);
    expect(w[0]).toBeCloseTo(1 / besselI0(5), 14);
  });

  it('16 k → 10 k filter has the documented length and sums to p', () => {
    const h = octaveResampleFilter(5, 8);
    // L = ceil(52 / (28.714 · 1/160)) = 290 → 581 taps.
    expect(h.length).toBe(581);
    expect(h.reduce((s, v) => s + v, 0)).toBeCloseTo(5, 10);
  });

  it('keeps a 1 kHz sine in time and amplitude and gives ceil(n·p/q) samples', () => {
    const n = 16001;
    const x = new Float64Array(n).map((_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const y = resampleOctave(x, 10000, 16000);
    expect(y.length).toBe(Math.ceil((n * 10) / 16));
    for (let m = 1000; m < 9000; m += 7) expect(y[m]).toBeCloseTo(Math.sin((2 * Math.PI * 1000 * m) / 10000), 3);
    // Equal rates: identity copy.
    expect(Array.from(resampleOctave([1, 2, 3], 16000, 16000))).toEqual([1, 2, 3]);
  });

  it('resampleOctavePair equals two resampleOctave calls (also 44.1 k → 10 k)', () => {
    const rand = mulberry32(9);
    for (const from of [16000, 44100]) {
      const a = new Float64Array(3000).map(() => gaussian(rand));
      const b = new Float64Array(3000).map(() => gaussian(rand));
      const [pa, pb] = resampleOctavePair(a, b, 10000, from);
      const ea = resampleOctave(a, 10000, from), eb = resampleOctave(b, 10000, from);
      expect(pa.length).toBe(ea.length);
      for (let i = 0; i < ea.length; i++) {
        expect(pa[i]).toBeCloseTo(ea[i], 12);
        expect(pb[i]).toBeCloseTo(eb[i], 12);
      }
    }
  });

  it('removes content above the new Nyquist (6 kHz tone → 10 kHz)', () => {
    const x = new Float64Array(16000).map((_, i) => Math.sin((2 * Math.PI * 6000 * i) / 16000));
    const y = resampleOctave(x, 10000, 16000);
    let peak = 0;
    for (let m = 1000; m < 9000; m++) peak = Math.max(peak, Math.abs(y[m]));
    expect(peak).toBeLessThan(1e-2);
  });
});

describe('one-third-octave bands', () => {
  it('15 contiguous bands from the bin nearest 150·2^(−1/6) Hz', () => {
    const { lo, hi } = thirdOctaveBands();
    expect(lo.length).toBe(15);
    expect(lo[0]).toBe(Math.round((150 * 2 ** (-1 / 6)) / (10000 / 512)));
    for (let i = 0; i < 15; i++) {
      expect(hi[i]).toBeGreaterThan(lo[i]);
      if (i > 0) expect(lo[i]).toBe(hi[i - 1]);
    }
    expect(hi[14]).toBe(Math.round((150 * 2 ** (29 / 6)) / (10000 / 512)));
  });
});

describe('alignment', () => {
  const ref = speechLike(1.5, FS, 7);

  function delayed(x: Float32Array, d: number): Float32Array {
    // deg[n + d] = x[n]; positions without a source sample get low noise.
    const rand = mulberry32(99);
    const y = new Float32Array(x.length);
    for (let i = 0; i < y.length; i++) {
      const s = i - d;
      y[i] = s >= 0 && s < x.length ? x[s] : 1e-3 * gaussian(rand);
    }
    return y;
  }

  for (const d of [0, 1, -1, 37, -123, 640, -640]) {
    it(`finds a delay of ${d} samples exactly (deg[n+lag] = ref[n])`, () => {
      expect(findLag(ref, delayed(ref, d), FS)).toBe(d);
    });
  }

  it('searches only ±40 ms by default and takes a wider bound when asked', () => {
    const far = delayed(ref, 800); // 50 ms
    expect(Math.abs(findLag(ref, far, FS))).toBeLessThanOrEqual(640);
    expect(findLag(ref, far, FS, 60)).toBe(800);
  });

  for (const [na, nb, maxLag] of [[300, 250, 20], [20000, 19000, 50], [5000, 6000, 640]]) {
    it(`FFT cross-correlation equals direct sums (${na} × ${nb}, ±${maxLag}; one or many blocks)`, () => {
      const rand = mulberry32(3);
      const a = new Float32Array(na).map(() => gaussian(rand));
      const b = new Float32Array(nb).map(() => gaussian(rand));
      const c = crossCorrelation(a, b, maxLag);
      for (let l = -maxLag; l <= maxLag; l += l < -maxLag + 5 || l > maxLag - 5 ? 1 : 7) {
        let s = 0;
        for (let n = 0; n < a.length; n++) if (n + l >= 0 && n + l < b.length) s += a[n] * b[n + l];
        expect(c[l + maxLag]).toBeCloseTo(s, 8);
      }
    });
  }

  it('returns 0 for an all-zero signal', () => {
    expect(findLag(new Float32Array(1000), ref.subarray(0, 1000), FS)).toBe(0);
  });

  it('applyLag: reference time axis with zero fill, or the strict overlap', () => {
    const r = Float32Array.from([1, 2, 3, 4, 5]);
    const d = Float32Array.from([10, 20, 30, 40, 50, 60]);
    expect(Array.from(applyLag(r, d, 2).deg)).toEqual([30, 40, 50, 60, 0]);
    expect(Array.from(applyLag(r, d, 2).ref)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(applyLag(r, d, -2).deg)).toEqual([0, 0, 10, 20, 30]);
    const o = applyLag(r, d, 2, 'overlap');
    expect(Array.from(o.ref)).toEqual([1, 2, 3, 4]);
    expect(Array.from(o.deg)).toEqual([30, 40, 50, 60]);
    const o2 = applyLag(r, d, -2, 'overlap');
    expect(Array.from(o2.ref)).toEqual([3, 4, 5]);
    expect(Array.from(o2.deg)).toEqual([10, 20, 30]);
    expect(applyLag(r, d, -9).deg.length).toBe(5);
    expect(applyLag(r, d, 9, 'overlap').ref.length).toBe(0);
  });
});

describe('pSNR, STOI and ESTOI end to end', () => {
  const ref = speechLike(2.5, FS, 11);

  it('identical signals: lag 0, STOI = ESTOI = 1, pSNR = the cap', () => {
    const m = scorePair(ref, ref.slice(), FS);
    expect(m.lag).toBe(0);
    expect(m.stoi).toBeCloseTo(1, 9);
    expect(m.estoi).toBeCloseTo(1, 9);
    expect(m.psnr).toBe(PSNR_CAP_DB);
  });

  it('pSNR falls strictly as white noise grows; STOI and ESTOI fall overall', () => {
    const sigmas = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1];
    const scores = sigmas.map((s, i) => scorePair(ref, withNoise(ref, s, 100 + i), FS));
    for (let i = 1; i < scores.length; i++) {
      expect(scores[i].psnr).toBeLessThan(scores[i - 1].psnr - 5); // 10 dB more noise each step
      expect(scores[i].lag).toBe(0);
    }
    expect(scores[0].stoi).toBeGreaterThan(0.99);
    expect(scores.at(-1)!.stoi).toBeLessThan(scores[0].stoi - 0.1);
    expect(scores.at(-1)!.estoi).toBeLessThan(scores[0].estoi - 0.1);
  });

  it('pSNR of a gain change is the SNR of the scaled error (no gain matching)', () => {
    // y = 0.9 x → error 0.1 x in the same band: pSNR = −20·log10(0.1) = 20 dB exactly.
    expect(psnr(ref, ref.map((v) => 0.9 * v))).toBeCloseTo(20, 6);
  });

  it('STOI and ESTOI ignore the degraded signal\'s overall gain', () => {
    const y = withNoise(ref, 0.01, 5);
    const y3 = y.map((v) => 3 * v); // float32: the product is rounded, hence 1e-7, not 1e-12
    expect(stoi(ref, y3, FS)).toBeCloseTo(stoi(ref, y, FS), 7);
    expect(estoi(ref, y3, FS)).toBeCloseTo(estoi(ref, y, FS), 7);
  });

  it('a delayed copy aligns and scores near-perfectly', () => {
    const d = 200;
    const y = new Float32Array(ref.length);
    y.set(ref.subarray(0, ref.length - d), d);
    const m = scorePair(ref, y, FS);
    expect(m.lag).toBe(d);
    expect(m.stoi).toBeGreaterThan(0.99);
    expect(m.psnr).toBeGreaterThan(30);
  });

  it('a silent degraded signal is scored, not rejected: STOI = ESTOI = 0, pSNR = 0 dB', () => {
    const m = scorePair(ref, new Float32Array(ref.length), FS);
    expect(m.lag).toBe(0);
    expect(m.stoi).toBeCloseTo(0, 12);
    expect(m.estoi).toBeCloseTo(0, 12);
    expect(m.psnr).toBeCloseTo(0, 9);
    expect(m.pesq).toBeLessThan(1.5); // PESQ's floor region: every frame at or near the clipped disturbance
  });

  it('works at other rates for STOI (10 kHz input needs no resampling)', () => {
    const r10 = speechLike(2.5, 10000, 4);
    expect(stoi(r10, r10, 10000)).toBeCloseTo(1, 9);
  });
});

describe('clear errors', () => {
  it('rejects a silent reference', () => {
    const z = new Float32Array(FS * 2);
    expect(() => scorePair(z, speechLike(2, FS, 2), FS)).toThrow(UserError);
    expect(() => scorePair(z, z, FS)).toThrow(/silent/);
    expect(() => stoi(z, z, FS)).toThrow(/silent/);
    expect(() => psnr(z, z)).toThrow(/silent/);
  });

  it('rejects input with fewer than 30 frames of speech after silence removal', () => {
    const short = speechLike(0.3, FS, 3);
    expect(() => scorePair(short, short, FS)).toThrow(/at least 30 frames/);
    // Long file, but only a 0.2 s burst above the 40 dB range: also too short.
    const burst = new Float32Array(FS * 3);
    burst.set(speechLike(0.2, FS, 4), FS);
    for (let i = 0; i < burst.length; i++) if (i < FS || i >= FS + 3200) burst[i] = 1e-7 * Math.sin(i);
    expect(() => stoi(burst, burst, FS)).toThrow(/at least 30 frames/);
  });

  it('rejects unequal lengths where alignment is the caller\'s job, other rates, and NaN', () => {
    const x = speechLike(1, FS, 5);
    expect(() => psnr(x, x.subarray(0, 100))).toThrow(UserError);
    expect(() => stoi(x, x.subarray(0, 100), FS)).toThrow(/equal length/);
    expect(() => scorePair(x, x, 8000)).toThrow(/16000 Hz/);
    expect(() => scorePair(x, new Float32Array(0), FS)).toThrow(/empty/);
    const bad = x.slice();
    bad[10] = NaN;
    expect(() => scorePair(x, bad, FS)).toThrow(/non-finite/);
  });

  it('scorePair compares files of different lengths over the shorter one', () => {
    const x = speechLike(2, FS, 6);
    const longer = new Float32Array(x.length + 4000);
    longer.set(x);
    const m = scorePair(x, longer, FS);
    expect(m.lag).toBe(0);
    expect(m.psnr).toBe(PSNR_CAP_DB);
    expect(m.stoi).toBeCloseTo(1, 9);
  });
});
