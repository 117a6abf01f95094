import { describe, expect, it } from 'vitest';
import { PRE_ECHO_BLOCK, PreEchoSuppressor, type PreEchoSettings } from '../src/coding/pre-echo.js';
import { DEFAULT_TUNING, tuningFor } from '../src/coding/post-filter.js';
import { Biquad } from '../src/dsp/biquad.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { loadModel } from '../src/model/codec-model.js';
import { mulberry32 } from './helpers/signals.js';

const HOP = 320;
const ON: PreEchoSettings = { strength: 0.5, onsetRatio: 4, contrast: 3, floor: 0.1 };

function noise(n: number, amp: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => amp * (2 * rnd() - 1));
}

describe('pre-echo suppressor', () => {
  it('leaves a segment alone unless the frame’s noise jumps past the onset ratio', () => {
    const s = new PreEchoSuppressor(HOP, ON);
    const quietThenLoud = noise(HOP, 0.001, 1);
    const tail = noise(HOP, 0.5, 2);
    const y = quietThenLoud.slice();
    s.process(y, tail, 1); // first frame: nothing to compare with
    expect(y).toEqual(quietThenLoud);
    s.process(y, tail, 3.9); // 3.9× the previous frame: under the ratio
    expect(y).toEqual(quietThenLoud);
    const off = new PreEchoSuppressor(HOP, { ...ON, strength: 0 });
    off.process(y, tail, 1);
    off.process(y, tail, 100); // off: not even a 100× jump is treated
    expect(y).toEqual(quietThenLoud);
  });

  it('attenuates the quiet blocks before an onset down to the floor, and never amplifies', () => {
    const s = new PreEchoSuppressor(HOP, ON);
    s.process(new Float32Array(HOP), new Float32Array(HOP), 1e-4);
    // Quiet first 240 samples, an onset in the last 80, a loud tail.
    const y = noise(HOP, 0.01, 3);
    const loud = noise(80, 0.8, 4);
    y.set(loud, 240);
    const before = y.slice();
    // Noise energy 100 (a million times the last frame's): far above each quiet block's energy.
    s.process(y, noise(HOP, 0.8, 5), 100);
    for (let m = 0; m < HOP; m++) {
      const g = before[m] === 0 ? 1 : y[m] / before[m];
      expect(g).toBeLessThanOrEqual(1 + 1e-6);
      expect(g).toBeGreaterThanOrEqual(Math.sqrt(ON.floor) - 1e-6);
    }
    // The frame's window is zero over the first 5 ms, so its noise does not reach them: left as
    // they were. Where the window has risen, the quiet blocks sit at the floor; the onset block
    // keeps its level.
    for (let m = 0; m < 20; m++) expect(y[m] / before[m]).toBeGreaterThan(0.99);
    for (let m = 100; m < 200; m++) expect(Math.abs(y[m] / before[m] - Math.sqrt(ON.floor))).toBeLessThan(1e-6);
    let eLoud = 0;
    let eLoudBefore = 0;
    for (let m = 280; m < HOP; m++) {
      eLoud += y[m] * y[m];
      eLoudBefore += before[m] * before[m];
    }
    expect(eLoud / eLoudBefore).toBeGreaterThan(0.999);
  });

  it('with a band split, attenuates only what lies above it: a quiet low tone before the onset keeps its level', () => {
    // A 300 Hz tone at a low level, continuous over the segments, with faint noise; then an
    // onset in the last 80 samples of a segment whose frame has a million times the noise.
    const toneLevel = (split: number): number => {
      const s = new PreEchoSuppressor(HOP, { ...ON, splitHz: split });
      const tone = (t: number): number => 0.01 * Math.sin((2 * Math.PI * 300 * t) / 16000);
      const hiss = noise(6 * HOP, 0.002, 9);
      const segment = (j: number): Float32Array => Float32Array.from({ length: HOP }, (_, m) => tone(j * HOP + m) + hiss[j * HOP + m]);
      for (let j = 0; j < 5; j++) s.process(segment(j), new Float32Array(HOP), 1e-4); // no onset: untouched, the split settles
      const y = segment(5);
      y.set(noise(80, 0.8, 10), 240);
      s.process(y, noise(HOP, 0.8, 11), 100);
      // The tone's amplitude over samples 100 … 199, where the quiet blocks sit at the floor without a split.
      let c = 0;
      let q = 0;
      for (let m = 100; m < 200; m++) {
        const t = 5 * HOP + m;
        c += y[m] * Math.sin((2 * Math.PI * 300 * t) / 16000);
        q += Math.sin((2 * Math.PI * 300 * t) / 16000) ** 2;
      }
      return c / q / 0.01;
    };
    expect(toneLevel(0)).toBeLessThan(0.5); // whole band: the tone goes down with the pre-echo (√0.1 ≈ 0.32)
    expect(toneLevel(2000)).toBeGreaterThan(0.9);
    expect(toneLevel(2000)).toBeLessThan(1.1);
  });

  it('works in whole blocks of the segment', () => {
    expect(HOP % PRE_ECHO_BLOCK).toBe(0);
    expect(() => new PreEchoSuppressor(HOP + 1, ON)).toThrow(RangeError);
  });

  it('is on at 24.4 and 32 kbit/s only, and bad settings are refused', () => {
    expect(DEFAULT_TUNING[24400].preEchoStrength).toBeGreaterThan(0);
    expect(DEFAULT_TUNING[32000].preEchoStrength).toBeGreaterThan(0);
    for (const rate of [8000, 9600, 13200, 16400] as const) expect(DEFAULT_TUNING[rate].preEchoStrength).toBe(0);
    expect(() => tuningFor(32000, { preEchoFloor: 0 })).toThrow(RangeError);
    expect(() => tuningFor(32000, { preEchoOnsetRatio: 0.5 })).toThrow(RangeError);
    expect(() => tuningFor(32000, { preEchoStrength: -1 })).toThrow(RangeError);
    expect(() => tuningFor(32000, { preEchoSplitHz: 8000 })).toThrow(RangeError);
    expect(() => tuningFor(32000, { preEchoSplitHz: 1000 })).toThrow(RangeError);
  });
});

describe('pre-echo suppression in the decoder', () => {
  // 0.4 s of near-silence, then a loud noise burst: the frame with the onset spreads its noise
  // into the silence before it.
  const model = loadModel();
  const n = 16000;
  const onset = 6400 + 137; // not on a segment boundary
  const x = noise(n, 0.0005, 11);
  x.set(noise(n - onset, 0.5, 12), onset);

  function errorIn(y: ArrayLike<number>, from: number, to: number): number {
    let e = 0;
    for (let i = from; i < to; i++) e += (x[i] - y[i]) ** 2;
    return e;
  }

  /** The error's energy above 2 kHz (error minus its low-pass), where the shipped modes treat it. */
  function highErrorIn(y: ArrayLike<number>, from: number, to: number): number {
    const lp = Biquad.lowPass(2000, 16000);
    let e = 0;
    for (let i = 0; i < to; i++) {
      const d = x[i] - y[i];
      const h = d - lp.step(d);
      if (i >= from) e += h * h;
    }
    return e;
  }

  it.each([24400, 32000] as const)('lowers the error before an onset at %i bit/s and leaves the rest of the signal as it was', (rate) => {
    const bits = encodeSpeech(model, x, rate);
    const on = decodeSpeech(model, bits).samples;
    const off = decodeSpeech(model, bits, undefined, { preEchoStrength: 0 }).samples;
    // The segment before the onset's ([6080, 6400)) is the one the onset frame completes: its
    // error above the 2 kHz split falls by more than 5 dB, and over the whole band by more than
    // 3 dB, also up to 4 ms before the onset (the pitch post-filter carries less of it into the
    // next segment).
    const seg = [6080, 6400];
    expect(highErrorIn(on, seg[0], seg[1])).toBeLessThan(0.3 * highErrorIn(off, seg[0], seg[1]));
    expect(errorIn(on, seg[0], seg[1])).toBeLessThan(0.5 * errorIn(off, seg[0], seg[1]));
    expect(errorIn(on, seg[0], onset - 64)).toBeLessThan(0.5 * errorIn(off, seg[0], onset - 64));
    // Before that segment the decodes are the same samples, and again once the pitch
    // post-filter's memory (at most 20 ms) has passed the onset.
    for (let i = 0; i < seg[0]; i++) expect(on[i]).toBe(off[i]);
    for (let i = seg[1] + 320; i < n; i++) expect(on[i]).toBe(off[i]);
  });

  it('changes nothing at a mode where it is off', () => {
    const bits = encodeSpeech(model, x, 13200);
    expect(decodeSpeech(model, bits).samples).toEqual(decodeSpeech(model, bits, undefined, { preEchoStrength: 0 }).samples);
  });
});
