import { describe, expect, it } from 'vitest';
import { PRE_ECHO_BLOCK, PreEchoSuppressor, type PreEchoSettings } from '../src/coding/pre-echo.js';
import { DEFAULT_TUNING, tuningFor } from '../src/coding/post-filter.js';
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

  it.each([24400, 32000] as const)('lowers the error before an onset at %i bit/s and leaves the rest of the signal as it was', (rate) => {
    const bits = encodeSpeech(model, x, rate);
    const on = decodeSpeech(model, bits).samples;
    const off = decodeSpeech(model, bits, undefined, { preEchoStrength: 0 }).samples;
    // The segment before the onset's ([6080, 6400)) is the one the onset frame completes: its
    // error falls by more than 5 dB, and up to 4 ms before the onset by more than 3 dB (the
    // pitch post-filter carries less of it into the next segment).
    const seg = [6080, 6400];
    expect(errorIn(on, seg[0], seg[1])).toBeLessThan(0.3 * errorIn(off, seg[0], seg[1]));
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
