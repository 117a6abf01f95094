import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import {
  checkRates,
  designResamplerFilter,
  PolyphaseResampler,
  polyphaseFromFir,
  resamplePolyphase,
  resamplePolyphasePairInto,
  resampledLength,
  useWasmKernel,
  wasmKernelAvailable,
  type DesignedResampler,
} from '../src/dsp/polyphase-resampler.js';
import { UserError } from '../src/errors.js';
import { amplitudeAt, db, maxAbsDiff, rms, streamInBlocks, tone } from './helpers/signals.js';

function noise(n: number, seed: number, amp = 0.5): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = amp * (s / 2 ** 31 - 1);
  }
  return x;
}

/** I0 by its power series, written out here so the reference does not share the module's code. */
function i0(x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 400 && term > 1e-18 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * Direct convolution from the filter's definition: y[k] = Σ_j x[j]·g(t_k − j) / Σ_i g(i + frac_k),
 * g(u) = 2f_c·sinc(2f_c·u)·Kaiser(u/H), t_k = k·from/to, no phase tables.
 */
function naiveResample(x: Float32Array, f: DesignedResampler, outLen: number): Float64Array {
  const { fromRate, cutoffHz, beta, halfWidth: H } = f.design;
  const fc = cutoffHz / fromRate;
  const g = (u: number): number => {
    const r = u / H;
    if (Math.abs(r) >= 1) return 0;
    const a = 2 * fc * u;
    return 2 * fc * (a === 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a)) * (i0(beta * Math.sqrt(1 - r * r)) / i0(beta));
  };
  const y = new Float64Array(outLen);
  for (let k = 0; k < outLen; k++) {
    const j0 = Math.floor((k * f.down) / f.up);
    const frac = ((k * f.down) % f.up) / f.up;
    let norm = 0;
    for (let i = -H; i < H; i++) norm += g(i + frac);
    let s = 0;
    for (let j = j0 - H; j <= j0 + H; j++) if (j >= 0 && j < x.length) s += x[j] * g(j0 + frac - j);
    y[k] = s / norm;
  }
  return y;
}

for (const kernel of ['wasm', 'js'] as const) describe(`polyphase resampler (${kernel} kernel): engine against a direct convolution`, () => {
  beforeEach(() => useWasmKernel(kernel === 'wasm'));
  afterEach(() => useWasmKernel(true));

  if (kernel === 'wasm') {
    it('the WebAssembly SIMD kernel instantiates (no silent fallback to JS)', () => {
      expect(wasmKernelAvailable()).toBe(true);
    });
  }

  for (const [from, to] of [[48000, 16000], [44100, 16000], [22050, 16000], [11025, 16000], [16000, 44100], [16000, 48000], [8000, 16000]]) {
    it(`${from} → ${to}: phase tables give the direct-convolution result (edges included)`, () => {
      const f = designResamplerFilter(from, to);
      expect(f.phases).toBe(f.up); // exact tables for these pairs
      const x = noise(1500, from + to);
      const n = resampledLength(x.length, from, to);
      const y = resamplePolyphase(x, f);
      const ref = naiveResample(x, f, n);
      expect(y.length).toBe(n);
      expect(maxAbsDiff(y, ref)).toBeLessThan(2e-7);
    });
  }

  it('odd rates beyond the table limit (44101 → 16000) interpolate phases to within 1e-6 of the exact kernel', () => {
    const f = designResamplerFilter(44101, 16000);
    expect(f.up).toBe(16000);
    expect(f.phases).toBeLessThan(f.up); // interpolated path really is taken
    const x = noise(3000, 7);
    const y = resamplePolyphase(x, f);
    const ref = naiveResample(x, f, y.length);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
  });
});

describe('polyphase resampler: tables from an external FIR (the STOI resampler uses this)', () => {
  // With a key the table goes to the WASM kernel; without one the JS kernel runs it.
  for (const keyed of [false, true]) {
    it(`y[k] = Σ_j x[j]·h[k·M + offset − j·L] for random FIRs, ratios and offsets; pair mode gives the same (${keyed ? 'WASM' : 'JS'} kernel)`, () => {
      let seed = 3;
      for (const [up, down, len, offset] of [[5, 8, 581, 290], [3, 1, 40, 0], [1, 3, 17, 16], [7, 3, 50, 9], [160, 441, 2001, 1000]]) {
        const h = noise(len, seed++, 1);
        const x = noise(700, seed++);
        const y2 = noise(700, seed++);
        const f = polyphaseFromFir(h, up, down, offset, keyed ? `test:${seed}` : undefined);
        expect(f.key !== undefined).toBe(keyed);
        const outLen = Math.ceil((x.length * up) / down);
        const a = new Float64Array(outLen);
        const b = new Float64Array(outLen);
        resamplePolyphasePairInto(x, y2, f, a, b);
        const single = new Float64Array(outLen);
        const s = new PolyphaseResampler(f, () => outLen);
        const head = s.pushInto(x.subarray(0, 333), single, 0);
        const mid = s.pushInto(x.subarray(333), single, head);
        s.finishInto(single, head + mid);
        let maxErr = 0;
        for (let k = 0; k < outLen; k++) {
          let r = 0;
          let r2 = 0;
          for (let j = 0; j < x.length; j++) {
            const idx = k * down + offset - j * up;
            if (idx >= 0 && idx < len) {
              r += x[j] * h[idx];
              r2 += y2[j] * h[idx];
            }
          }
          maxErr = Math.max(maxErr, Math.abs(a[k] - r), Math.abs(b[k] - r2), Math.abs(single[k] - r));
        }
        if (!(maxErr < 1e-12)) expect.fail(`${up}/${down}, ${len} taps, offset ${offset}: max error ${maxErr}`);
      }
    });
  }
});

describe('polyphase resampler: streaming and lengths', () => {
  afterEach(() => useWasmKernel(true));

  it('WASM and JS kernels agree to float32 rounding', () => {
    const x = noise(20000, 5);
    for (const [from, to] of [[48000, 16000], [44100, 16000], [16000, 48000]]) {
      const f = designResamplerFilter(from, to);
      useWasmKernel(false);
      const js = resamplePolyphase(x, f);
      useWasmKernel(true);
      const wasm = resamplePolyphase(x, f);
      expect(maxAbsDiff(js, wasm)).toBeLessThan(1e-7);
    }
  });

  for (const kernel of ['wasm', 'js'] as const) it(`streamed output over odd chunk sizes is bit-identical to the one-shot output (${kernel} kernel)`, () => {
    useWasmKernel(kernel === 'wasm');
    const x = noise(60013, 11);
    for (const [from, to] of [[44100, 16000], [48000, 16000], [16000, 44100], [22050, 16000], [44101, 16000]]) {
      const f = designResamplerFilter(from, to);
      const whole = resamplePolyphase(x, f);
      const joined = streamInBlocks(new PolyphaseResampler(f), x, [1, 0, 3, 7, 8191, 8193, 10007, 2, 129]);
      expect(joined.length).toBe(whole.length);
      let same = true;
      for (let i = 0; i < whole.length && same; i++) same = Object.is(joined[i], whole[i]);
      if (!same) expect.fail(`${from} → ${to}: streamed output differs from the one-shot output`);
    }
  });

  it('exact output length round(n·to/from) for arbitrary rate pairs, one-shot and streamed', () => {
    const rates = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 37800, 44100, 44101, 48000, 88200, 96000, 192000, 7350];
    const lengths = [0, 1, 2, 3, 5, 17, 100, 441, 1001, 4413];
    for (const from of rates) {
      for (const to of [16000, from === 16000 ? 44100 : from]) {
        if (from === to) continue;
        const f = designResamplerFilter(from, to);
        for (const n of lengths) {
          const want = Math.round((n * to) / from);
          const x = new Float32Array(n).fill(0.25);
          const y = resamplePolyphase(x, f);
          const s = new PolyphaseResampler(f);
          const streamed = s.push(x.subarray(0, n >> 1)).length + s.push(x.subarray(n >> 1)).length + s.finish().length;
          if (y.length !== want || streamed !== want || resampledLength(n, from, to) !== want) {
            expect.fail(`${n} samples ${from}→${to}: one-shot ${y.length}, streamed ${streamed}, want ${want}`);
          }
        }
      }
    }
  });

  it('constant input gives constant output at unit gain away from the edges (every phase sums to 1)', () => {
    for (const [from, to] of [[44100, 16000], [16000, 44100], [44101, 16000]]) {
      const f = designResamplerFilter(from, to);
      const y = resamplePolyphase(new Float32Array(20000).fill(0.75), f);
      const edge = Math.ceil((f.design.halfWidth * to) / from) + 1;
      let maxErr = 0;
      for (let k = edge; k < y.length - edge; k++) maxErr = Math.max(maxErr, Math.abs(y[k] - 0.75));
      expect(maxErr).toBeLessThan(1e-6);
    }
  });

  it('rejects unusable rates with a UserError and misuse with an Error', () => {
    expect(() => checkRates(300000, 1000)).toThrow(UserError);
    expect(() => designResamplerFilter(1000, 300000)).toThrow(/ratio/);
    expect(() => designResamplerFilter(44100.5, 16000)).toThrow(UserError);
    expect(() => designResamplerFilter(0, 16000)).toThrow(UserError);
    const s = new PolyphaseResampler(designResamplerFilter(48000, 16000));
    s.finish();
    expect(() => s.push(new Float32Array(3))).toThrow(/after finish/);
  });
});

describe('polyphase resampler: frequency response', () => {
  // 0.4 s of input per tone; measure away from the start-up and flush regions.
  for (const from of [48000, 44100, 22050, 96000]) {
    it(`${from} → 16000: every tone from 8 kHz to Nyquist is ≥ 80 dB down; 100 Hz … 7 kHz within ±0.01 dB`, () => {
      const f = designResamplerFilter(from, 16000);
      const n = Math.round(from * 0.4);
      const ref = 0.5 / Math.SQRT2;
      let worst = -Infinity;
      let worstF = 0;
      for (let hz = 8000; hz < from / 2; hz += from > 50000 ? 997 : 251) {
        const y = resamplePolyphase(tone(hz, from, n), f);
        const r = db(rms(y, 600, y.length - 600) / ref);
        if (r > worst) {
          worst = r;
          worstF = hz;
        }
      }
      // The band edge itself, the hardest point.
      const edge = db(rms(resamplePolyphase(tone(8000, from, n), f), 600, 6400 - 600) / ref);
      if (!(worst <= -80 && edge <= -80)) expect.fail(`${from}: worst ${worst.toFixed(1)} dB at ${worstF} Hz, 8 kHz ${edge.toFixed(1)} dB`);
      for (const hz of [100, 1000, 3000, 5000, 6500, 7000]) {
        const y = resamplePolyphase(tone(hz, from, n), f);
        const gain = db(amplitudeAt(y, hz, 16000, 600, y.length - 600) / 0.5);
        if (!(Math.abs(gain) <= 0.01)) expect.fail(`${from}: ${hz} Hz gain ${gain.toFixed(4)} dB`);
      }
    });
  }

  for (const to of [44100, 48000]) {
    it(`16000 → ${to}: images of 100 Hz … 7.9 kHz tones (at 16 kHz − f, 16 kHz + f) are ≥ 80 dB down`, () => {
      const f = designResamplerFilter(16000, to);
      const n = 16000;
      let worst = -Infinity;
      let worstF = 0;
      for (let hz = 100; hz <= 7900; hz += 200) {
        const y = resamplePolyphase(tone(hz, 16000, n), f);
        for (const image of [16000 - hz, 16000 + hz]) {
          const r = db(amplitudeAt(y, image, to, 1000, y.length - 1000) / 0.5);
          if (r > worst) {
            worst = r;
            worstF = hz;
          }
        }
        if (hz <= 7000) {
          const gain = db(amplitudeAt(y, hz, to, 1000, y.length - 1000) / 0.5);
          if (!(Math.abs(gain) <= 0.01)) expect.fail(`16000 → ${to}: ${hz} Hz gain ${gain.toFixed(4)} dB`);
        }
      }
      if (!(worst <= -80)) expect.fail(`16000 → ${to}: image of ${worstF} Hz only ${worst.toFixed(1)} dB down`);
    });
  }

  it('zero delay: the output has the input phase, also on the interpolated path', () => {
    for (const [from, to] of [[48000, 16000], [16000, 44100], [44101, 16000]]) {
      const y = resamplePolyphase(tone(1000, from, from / 2 | 0), designResamplerFilter(from, to));
      const want = tone(1000, to, y.length);
      let maxErr = 0;
      for (let i = 500; i < y.length - 500; i++) maxErr = Math.max(maxErr, Math.abs(y[i] - want[i]));
      expect(maxErr).toBeLessThan(1e-4);
    }
  });
});
