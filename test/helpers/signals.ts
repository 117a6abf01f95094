/**
 * Test signals and measurements shared by the DSP, resampler and metrics suites. Each is a
 * reference written independently of the code under test (no imports from src/).
 */
import { expect } from 'vitest';

/** Seeded uniform RNG in [0, 1) (mulberry32), so failures reproduce. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Largest |a[i] − b[i]|; asserts equal lengths. NaN anywhere gives NaN (fails any bound). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** a·sin(2πf·i/rate + phase), n samples. */
export function tone(f: number, rate: number, n: number, a = 0.5, phase = 0.3): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = a * Math.sin((2 * Math.PI * f * i) / rate + phase);
  return x;
}

/** Amplitude ratio in dB. */
export const db = (r: number): number => 20 * Math.log10(r);

/** RMS of y[start, end). */
export function rms(y: ArrayLike<number>, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += y[i] ** 2;
  return Math.sqrt(s / (end - start));
}

/** Amplitude of the component at f over y[start, end), Hann-weighted projection. */
export function amplitudeAt(y: ArrayLike<number>, f: number, rate: number, start: number, end: number): number {
  let re = 0;
  let im = 0;
  let ws = 0;
  const len = end - start;
  for (let i = 0; i < len; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / len);
    const ph = (2 * Math.PI * f * (start + i)) / rate;
    re += w * y[start + i] * Math.cos(ph);
    im += w * y[start + i] * Math.sin(ph);
    ws += w;
  }
  return (2 * Math.hypot(re, im)) / ws;
}

/** The blocks joined end to end. */
export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A streaming converter: push blocks, then finish. */
export interface BlockStream {
  push(block: Float32Array): Float32Array;
  finish(): Float32Array;
}

/** Feed x to `stream` in blocks of sizes[0], sizes[1], … (cycling; zeros allowed), then finish; all output joined. */
export function streamInBlocks(stream: BlockStream, x: Float32Array, sizes: readonly number[]): Float32Array {
  const parts: Float32Array[] = [];
  for (let off = 0, c = 0; off < x.length; c++) {
    const len = sizes[c % sizes.length];
    parts.push(stream.push(x.subarray(off, off + len)));
    off += len;
  }
  parts.push(stream.finish());
  return concat(parts);
}
