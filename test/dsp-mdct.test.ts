import { describe, expect, it } from 'vitest';
import { Fft, factorize } from '../src/dsp/fft.js';
import { Mdct } from '../src/dsp/mdct.js';
import {
  MdctAnalyzer,
  MdctSynthesizer,
  analyzeSignal,
  frameCount,
  synthesizeSignal,
} from '../src/dsp/mdct-stream.js';
import { HOP, lowOverlapWindow } from '../src/dsp/window.js';
import { maxAbsDiff, mulberry32 } from './helpers/signals.js';

/** Uniform noise in [−1, 1), seeded. */
function randomSignal(len: number, seed: number): Float64Array {
  const u = mulberry32(seed);
  return Float64Array.from({ length: len }, () => 2 * u() - 1);
}

/** Naive DFT with exact angle reduction (jk mod n) so the reference itself is accurate. */
function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(a);
      const s = Math.sin(a);
      sr += re[j] * c - im[j] * s;
      si += re[j] * s + im[j] * c;
    }
    outRe[k] = sr;
    outIm[k] = si;
  }
  return [outRe, outIm];
}

/** Direct O(N²) MDCT / IMDCT from the contract formula (window applied, √(2/N) scaling). */
function cosTable(n: number): Float64Array {
  const t = new Float64Array(2 * n * n);
  for (let m = 0; m < 2 * n; m++) {
    for (let k = 0; k < n; k++) {
      // Reduce the phase modulo 2π exactly: (2m + 1 + n)(2k + 1) / (4n) half-turns.
      const num = ((2 * m + 1 + n) * (2 * k + 1)) % (8 * n);
      t[m * n + k] = Math.cos((Math.PI * num) / (4 * n));
    }
  }
  return t;
}
function directMdct(x: ArrayLike<number>, w: ArrayLike<number>, n: number, cos: Float64Array): Float64Array {
  const out = new Float64Array(n);
  const scale = Math.sqrt(2 / n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let m = 0; m < 2 * n; m++) s += w[m] * x[m] * cos[m * n + k];
    out[k] = scale * s;
  }
  return out;
}
function directImdct(X: ArrayLike<number>, w: ArrayLike<number>, n: number, cos: Float64Array): Float64Array {
  const out = new Float64Array(2 * n);
  const scale = Math.sqrt(2 / n);
  for (let m = 0; m < 2 * n; m++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += X[k] * cos[m * n + k];
    out[m] = scale * w[m] * s;
  }
  return out;
}

describe('Fft', () => {
  it.each([1, 2, 3, 4, 5, 6, 8, 12, 15, 16, 25, 27, 60, 64, 100, 160, 320, 7, 11, 49, 2 * 13])(
    'matches a naive DFT and inverts, n = %i',
    (n) => {
      const re = randomSignal(n, n);
      const im = randomSignal(n, 1000 + n);
      const [refRe, refIm] = naiveDft(re, im);
      const fft = new Fft(n);
      const wr = re.slice();
      const wi = im.slice();
      fft.forward(wr, wi);
      const tol = 1e-12 * Math.max(1, n);
      expect(maxAbsDiff(wr, refRe)).toBeLessThan(tol);
      expect(maxAbsDiff(wi, refIm)).toBeLessThan(tol);
      fft.inverse(wr, wi);
      expect(maxAbsDiff(wr, re)).toBeLessThan(1e-13);
      expect(maxAbsDiff(wi, im)).toBeLessThan(1e-13);
    },
  );

  it('computes a known transform: a unit impulse at 1 gives e^{−2πik/n}', () => {
    const n = 160;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    re[1] = 1;
    new Fft(n).forward(re, im);
    for (let k = 0; k < n; k++) {
      expect(re[k]).toBeCloseTo(Math.cos((-2 * Math.PI * k) / n), 13);
      expect(im[k]).toBeCloseTo(Math.sin((-2 * Math.PI * k) / n), 13);
    }
  });

  it('is reusable: repeated transforms give identical results', () => {
    const fft = new Fft(160);
    const x = randomSignal(160, 5);
    const a = [x.slice(), new Float64Array(160)] as const;
    const b = [x.slice(), new Float64Array(160)] as const;
    fft.forward(a[0], a[1]);
    fft.forward(randomSignal(160, 6), new Float64Array(160));
    fft.forward(b[0], b[1]);
    expect(Array.from(b[0])).toEqual(Array.from(a[0]));
    expect(Array.from(b[1])).toEqual(Array.from(a[1]));
  });

  it('factorizes into radices 4, 2, 3, 5 first and rejects bad sizes', () => {
    expect(factorize(160)).toEqual([4, 4, 2, 5]);
    expect(factorize(320)).toEqual([4, 4, 4, 5]);
    expect(factorize(90)).toEqual([2, 3, 3, 5]);
    expect(factorize(77)).toEqual([7, 11]);
    expect(factorize(1)).toEqual([]);
    expect(() => new Fft(0)).toThrow(RangeError);
    expect(() => new Fft(2.5)).toThrow(RangeError);
    expect(() => new Fft(8).forward(new Float64Array(4), new Float64Array(4))).toThrow(RangeError);
  });
});

describe('Mdct', () => {
  it.each([320, 64, 8])('matches the direct O(N²) MDCT and IMDCT, N = %i', (n) => {
    const cos = cosTable(n);
    const mdct = new Mdct(n);
    const X = new Float64Array(n);
    const y = new Float64Array(2 * n);
    for (let trial = 0; trial < 3; trial++) {
      const x = randomSignal(2 * n, 17 * n + trial);
      mdct.forward(x, X);
      expect(maxAbsDiff(X, directMdct(x, mdct.window, n, cos))).toBeLessThan(1e-9);
      mdct.inverse(X, y);
      expect(maxAbsDiff(y, directImdct(X, mdct.window, n, cos))).toBeLessThan(1e-9);
    }
  });

  it('supports a custom Princen–Bradley window (sine window) and n not a multiple of 4', () => {
    const n = 6;
    const sine = Float64Array.from({ length: 2 * n }, (_, m) => Math.sin((Math.PI * (m + 0.5)) / (2 * n)));
    const mdct = new Mdct(n, sine);
    const x = randomSignal(2 * n, 3);
    const X = new Float64Array(n);
    mdct.forward(x, X);
    expect(maxAbsDiff(X, directMdct(x, sine, n, cosTable(n)))).toBeLessThan(1e-12);
  });

  it('is orthonormal: Parseval holds for a frame inside a steady signal', () => {
    // Over many frames, Σ|X|² equals Σ x² (the lapped transform is orthogonal).
    const x = randomSignal(320 * 50, 42);
    const frames = analyzeSignal(x);
    let ex = 0;
    for (const v of x) ex += v * v;
    let eX = 0;
    for (const f of frames) for (const v of f) eX += v * v;
    expect(Math.abs(eX / ex - 1)).toBeLessThan(1e-10);
  });

  it('puts a sine at bin-centre frequency into that bin', () => {
    const n = HOP;
    const k0 = 40;
    const x = Float64Array.from({ length: 2 * n }, (_, m) => Math.cos((Math.PI / n) * (m + 0.5 + n / 2) * (k0 + 0.5)));
    const X = new Float64Array(n);
    new Mdct(n).forward(x, X);
    let peak = 0;
    for (let k = 1; k < n; k++) if (Math.abs(X[k]) > Math.abs(X[peak])) peak = k;
    expect(peak).toBe(k0);
  });

  it('accepts Float32Array and plain-array input with the same result', () => {
    const mdct = new Mdct(320);
    const x32 = Float32Array.from(randomSignal(640, 12));
    const a = new Float64Array(320);
    const b = new Float64Array(320);
    const c = new Float64Array(320);
    mdct.forward(x32, a);
    mdct.forward(Float64Array.from(x32), b);
    mdct.forward(Array.from(x32), c);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c)).toEqual(Array.from(b));
    const y1 = new Float64Array(640);
    const y2 = new Float64Array(640);
    mdct.inverse(Float32Array.from(a), y1);
    mdct.inverse(Array.from(Float32Array.from(a)), y2);
    expect(Array.from(y1)).toEqual(Array.from(y2));
  });

  it('rejects wrong sizes', () => {
    expect(() => new Mdct(7)).toThrow(RangeError);
    expect(() => new Mdct(8, new Float64Array(10))).toThrow(RangeError);
    const m = new Mdct(8);
    expect(() => m.forward(new Float64Array(15), new Float64Array(8))).toThrow(RangeError);
    expect(() => m.forward(new Float64Array(16), new Float64Array(7))).toThrow(RangeError);
    expect(() => m.inverse(new Float64Array(7), new Float64Array(16))).toThrow(RangeError);
    expect(() => m.inverse(new Float64Array(8), new Float64Array(15))).toThrow(RangeError);
  });
});

/** Test signals at full scale (|x| ≤ 1). */
function testSignals(): [string, Float64Array][] {
  const out: [string, Float64Array][] = [];
  out.push(['random 16000', randomSignal(16000, 1)]);
  out.push(['random 12345 (not a multiple of 320)', randomSignal(12345, 2)]);
  out.push(['sine 440 Hz, 9999 samples', Float64Array.from({ length: 9999 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 16000))]);
  const imp = new Float64Array(4000);
  imp[1234] = 1;
  out.push(['impulse', imp]);
  const edge = new Float64Array(641);
  edge[0] = 1;
  edge[640] = -1;
  out.push(['impulses at both ends', edge]);
  out.push(['silence', new Float64Array(3000)]);
  out.push(['DC full scale', new Float64Array(2000).fill(1)]);
  return out;
}

const TOL = 1e-6; // of full scale, per the issue; actual errors are ~1e-15.

describe('MDCT → IMDCT → overlap-add reconstruction (zero delay)', () => {
  it.each(testSignals())('whole-signal helpers: %s', (_name, x) => {
    const frames = analyzeSignal(x);
    expect(frames.length).toBe(Math.ceil(x.length / HOP) + 1);
    expect(frames.length).toBe(frameCount(x.length));
    const y = synthesizeSignal(frames, x.length);
    expect(maxAbsDiff(y, x)).toBeLessThan(TOL);
  });

  it('frame j is the MDCT of padded samples [jN, jN + 2N) (one hop of zeros in front)', () => {
    const x = randomSignal(1000, 31);
    const padded = new Float64Array(6 * HOP); // 5 frames reach padded sample 6N
    padded.set(x, HOP);
    const frames = analyzeSignal(x);
    expect(frames.length).toBe(5);
    const mdct = new Mdct(HOP);
    const X = new Float64Array(HOP);
    for (let j = 0; j < frames.length; j++) {
      mdct.forward(padded.subarray(j * HOP, j * HOP + 2 * HOP), X);
      expect(maxAbsDiff(frames[j], X)).toBe(0);
    }
  });

  it('every length 0..700 (random signals)', () => {
    let worst = 0;
    for (let len = 0; len <= 700; len++) {
      const x = randomSignal(len, 10_000 + len);
      const frames = analyzeSignal(x);
      expect(frames.length).toBe(Math.ceil(len / HOP) + 1);
      const y = synthesizeSignal(frames, len);
      if (len > 0) worst = Math.max(worst, maxAbsDiff(y, x));
      else expect(y.length).toBe(0);
    }
    expect(worst).toBeLessThan(TOL);
  });

  it('synthesizeSignal treats missing trailing frames as zeros and ignores extra frames', () => {
    // 1100 = 3·320 + 140: the last 60 samples lie in the rise of the last frame's window
    // (with the low-overlap window a tail shorter than n/4 would not need that frame).
    const x = randomSignal(1100, 8);
    const frames = analyzeSignal(x);
    const extra = [...frames, randomSignal(HOP, 9)];
    expect(maxAbsDiff(synthesizeSignal(extra, x.length), x)).toBeLessThan(TOL);
    // Without the last frame the final partial hop is no longer exact, the rest still is.
    const y = synthesizeSignal(frames.slice(0, -1), x.length);
    const exact = 3 * HOP + HOP / 4; // output samples untouched by the dropped frame
    expect(maxAbsDiff(y.subarray(0, exact), x.subarray(0, exact))).toBeLessThan(TOL);
    expect(maxAbsDiff(y.subarray(exact), x.subarray(exact))).toBeGreaterThan(1e-3);
  });

  it('works for other hop sizes (n = 64)', () => {
    const x = randomSignal(1001, 77);
    expect(maxAbsDiff(synthesizeSignal(analyzeSignal(x, 64), x.length, 64), x)).toBeLessThan(TOL);
  });
});

describe('streaming MdctAnalyzer / MdctSynthesizer', () => {
  /** Push x in chunks of the given sizes (cycled), then flush; resynthesize in streaming mode. */
  function streamRoundTrip(x: Float64Array, chunks: number[], analyzer: MdctAnalyzer): { frames: Float64Array[]; y: Float64Array } {
    const frames: Float64Array[] = [];
    let pos = 0;
    let c = 0;
    while (pos < x.length) {
      const size = chunks[c++ % chunks.length];
      frames.push(...analyzer.push(x.subarray(pos, Math.min(x.length, pos + size))));
      pos += size;
    }
    frames.push(...analyzer.flush());
    const synth = new MdctSynthesizer();
    const parts = frames.map((f) => synth.push(f));
    // Drop the first hop (front padding), keep L samples.
    const all = new Float64Array(parts.length * HOP);
    parts.forEach((p, j) => all.set(p, j * HOP));
    return { frames, y: all.subarray(HOP, HOP + x.length) };
  }

  it.each(testSignals())('odd-sized chunks give the same frames as the whole-signal helper: %s', (_name, x) => {
    const analyzer = new MdctAnalyzer();
    const { frames, y } = streamRoundTrip(x, [1, 7, 333, 0, 1000, 319, 641], analyzer);
    const ref = analyzeSignal(x);
    expect(frames.length).toBe(ref.length);
    for (let j = 0; j < ref.length; j++) expect(maxAbsDiff(frames[j], ref[j])).toBe(0);
    expect(maxAbsDiff(y, x)).toBeLessThan(TOL);
  });

  it('emits frames as soon as they are complete and bounds latency to one hop', () => {
    const a = new MdctAnalyzer();
    expect(a.push(new Float64Array(319)).length).toBe(0);
    expect(a.push(new Float64Array(1)).length).toBe(1); // padding + 320 samples = 640
    expect(a.push(new Float64Array(640)).length).toBe(2);
    expect(a.flush().length).toBe(1); // L = 960 → 4 frames total
  });

  it('is reusable after flush and handles very short signals', () => {
    const a = new MdctAnalyzer();
    for (let len = 1; len <= 700; len += 37) {
      const x = randomSignal(len, 500 + len);
      const { frames, y } = streamRoundTrip(x, [5, 3], a);
      expect(frames.length).toBe(Math.ceil(len / HOP) + 1);
      expect(maxAbsDiff(y, x)).toBeLessThan(TOL);
    }
    // Flushing with nothing pushed yields the single frame of an empty signal.
    expect(a.flush().length).toBe(1);
  });

  it('synthesizer reset() forgets the overlap tail', () => {
    const s = new MdctSynthesizer();
    const f = analyzeSignal(randomSignal(640, 4));
    s.push(f[0]);
    s.push(f[1]);
    s.reset();
    const z = s.push(new Float64Array(HOP));
    expect(z.every((v) => v === 0)).toBe(true);
  });
});

describe('window used by Mdct', () => {
  it('defaults to the low-overlap window', () => {
    expect(Array.from(new Mdct(320).window)).toEqual(Array.from(lowOverlapWindow(320)));
  });
});
