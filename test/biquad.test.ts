import { describe, expect, it } from 'vitest';
import { Biquad } from '../src/dsp/biquad.js';

/** Steady-state gain of a fresh low-pass for a sine at f Hz (16 kHz), from the last 1000 of 4000 samples. */
function gainAt(cutoff: number, f: number): number {
  const b = Biquad.lowPass(cutoff, 16000);
  let inE = 0;
  let outE = 0;
  for (let i = 0; i < 4000; i++) {
    const x = Math.sin((2 * Math.PI * f * i) / 16000);
    const y = b.step(x);
    if (i >= 3000) {
      inE += x * x;
      outE += y * y;
    }
  }
  return Math.sqrt(outE / inE);
}

describe('Biquad.lowPass (Butterworth, RBJ cookbook)', () => {
  it('passes DC, is 3 dB down at the cutoff and more than 22 dB down two octaves above', () => {
    expect(gainAt(2000, 50)).toBeCloseTo(1, 2);
    expect(gainAt(2000, 2000)).toBeCloseTo(Math.SQRT1_2, 2);
    expect(gainAt(2000, 7000)).toBeLessThan(0.08);
    expect(gainAt(1000, 4000)).toBeLessThan(0.07);
  });

  it('reset() brings it back to rest: the same input gives the same output', () => {
    const b = Biquad.lowPass(3000, 16000);
    const first = [1, -0.5, 0.25, 0, 0.75].map((x) => b.step(x));
    b.reset();
    const again = [1, -0.5, 0.25, 0, 0.75].map((x) => b.step(x));
    expect(again).toEqual(first);
  });

  it('refuses a cutoff outside (0, fs/2)', () => {
    expect(() => Biquad.lowPass(0, 16000)).toThrow(RangeError);
    expect(() => Biquad.lowPass(8000, 16000)).toThrow(RangeError);
  });
});
