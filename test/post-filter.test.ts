import { describe, expect, it } from 'vitest';
import { HarmonicPostFilter } from '../src/coding/harmonic-post-filter.js';
import { DEFAULT_TUNING, FormantPostFilter, NEUTRAL_TUNING, tuningFor, type DecoderTuning } from '../src/coding/post-filter.js';
import { FrameDecoder } from '../src/coding/frame-decoder.js';
import { FrameEncoder } from '../src/coding/frame-encoder.js';
import type { Bitrate } from '../src/coding/modes.js';
import { Decoder } from '../src/codec/decoder.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { HEADER_BYTES } from '../src/coding/container.js';
import { analyzeSignal, MdctSynthesizer } from '../src/dsp/mdct-stream.js';
import { harmonicBandWeights } from '../src/coding/post-filter.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import { mulberry32 } from './helpers/signals.js';

const HOP = 320;

/** 125 Hz harmonics (comb lag 20: P = 5 bins, T = 128 samples) below 3 kHz, and white noise. */
function voicedWithNoise(frames: number, noise: number): { clean: Float64Array; noisy: Float32Array } {
  const n = frames * HOP;
  const rnd = mulberry32(7);
  const phases = Array.from({ length: 23 }, () => 2 * Math.PI * rnd());
  const clean = new Float64Array(n);
  const noisy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let h = 1; h <= 23; h++) v += (0.3 / h) * Math.sin((2 * Math.PI * 125 * h * i) / 16000 + phases[h - 1]);
    clean[i] = v;
    noisy[i] = v + noise * (2 * rnd() - 1);
  }
  return { clean, noisy };
}

function runFilter(f: HarmonicPostFilter, x: Float32Array, combLag: number, strength: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length / HOP; j++) {
    const y = x.slice(j * HOP, (j + 1) * HOP);
    f.apply(y, combLag, strength);
    out.set(y, j * HOP);
  }
  return out;
}

function errorEnergy(a: ArrayLike<number>, b: ArrayLike<number>, from: number): number {
  let e = 0;
  for (let i = from; i < a.length; i++) e += (a[i] - b[i]) ** 2;
  return e;
}

describe('harmonic post-filter', () => {
  const { clean, noisy } = voicedWithNoise(30, 0.05);

  it('lowers the noise between the harmonics of a voiced signal when the comb lag matches', () => {
    const before = errorEnergy(noisy, clean, 10 * HOP);
    const full = errorEnergy(runFilter(new HarmonicPostFilter(HOP, 0), noisy, 20, 0.5), clean, 10 * HOP);
    const wrongLag = errorEnergy(runFilter(new HarmonicPostFilter(HOP, 0), noisy, 60, 0.5), clean, 10 * HOP);
    expect(full).toBeLessThan(0.7 * before);
    // A hint far from the true period (lag 60: P = 9 bins, T ≈ 71) finds no correlation to use.
    expect(wrongLag).toBeGreaterThan(0.95 * before);
  });

  it('with an MDCT-domain band split it keeps the cancellation the biquad band limit loses', () => {
    // The signal's MDCT frames, resynthesized whole and below 3 kHz (lag 0 after dropping frame 0).
    const frames = analyzeSignal(Float64Array.from(noisy));
    const weights = harmonicBandWeights({ ...NEUTRAL_TUNING, harmonicSplitHz: 3000, harmonicTaperHz: 500 }, HOP);
    expect(weights).not.toBeNull();
    const whole = new MdctSynthesizer(HOP);
    const low = new MdctSynthesizer(HOP);
    const f = new HarmonicPostFilter(HOP, 0);
    const out = new Float32Array(noisy.length);
    const lowCoeffs = new Float64Array(HOP);
    for (let j = 0; j < frames.length; j++) {
      const y = new Float32Array(whole.push(frames[j]));
      for (let k = 0; k < HOP; k++) lowCoeffs[k] = frames[j][k] * weights![k];
      f.apply(y, 20, 0.5, low.push(lowCoeffs));
      if (j >= 1 && j * HOP <= out.length) out.set(y, (j - 1) * HOP);
    }
    const before = errorEnergy(noisy, clean, 10 * HOP);
    const split = errorEnergy(out, clean, 10 * HOP);
    const biquad = errorEnergy(runFilter(new HarmonicPostFilter(HOP, 3000), noisy, 20, 0.5), clean, 10 * HOP);
    // White noise: ~3/8 of it lies below 3 kHz, where the split filter works as the full-band one.
    expect(split).toBeLessThan(0.9 * before);
    expect(split).toBeLessThan(0.9 * biquad);
  });

  it('does nothing with the comb off or strength 0', () => {
    expect(Array.from(runFilter(new HarmonicPostFilter(HOP, 3000), noisy, -1, 0.5))).toEqual(Array.from(noisy));
    expect(Array.from(runFilter(new HarmonicPostFilter(HOP, 0), noisy, 20, 0))).toEqual(Array.from(noisy));
  });

  it('leaves white noise alone (no correlation at the hinted lag)', () => {
    const rnd = mulberry32(3);
    const white = Float32Array.from({ length: 20 * HOP }, () => 2 * rnd() - 1);
    const out = runFilter(new HarmonicPostFilter(HOP, 3000), white, 20, 0.5);
    expect(errorEnergy(out, white, 0) / errorEnergy(white, new Float32Array(white.length), 0)).toBeLessThan(0.01);
  });
});

describe('harmonic band weights', () => {
  it('are off without a split, 1 below the taper, linear in it, 0 above the split, scaled in the bass', () => {
    expect(harmonicBandWeights(NEUTRAL_TUNING, 320)).toBeNull();
    const w = harmonicBandWeights({ ...NEUTRAL_TUNING, harmonicSplitHz: 2000, harmonicTaperHz: 500, harmonicBassHz: 1000, harmonicBassWeight: 1.5 }, 320)!;
    expect(w[10]).toBe(1.5); // 262.5 Hz
    expect(w[39]).toBe(1.5); // 987.5 Hz
    expect(w[40]).toBe(1); // 1012.5 Hz
    expect(w[59]).toBe(1); // 1487.5 Hz
    expect(w[70]).toBeCloseTo((2000 - 1762.5) / 500, 12);
    expect(w[80]).toBe(0); // 2012.5 Hz
    expect(w[319]).toBe(0);
    expect(() => tuningFor(16400, { harmonicSplitHz: -1 })).toThrow(/must not be negative/);
  });
});

describe('formant post-filter', () => {
  it('keeps the frame energy and deepens the valleys of the envelope', () => {
    const n = 320;
    const s = Float64Array.from({ length: n }, (_, k) => 1 + 0.9 * Math.cos((2 * Math.PI * k) / 80));
    const x = new Float64Array(n).fill(1);
    new FormantPostFilter(n).apply(s, x, 0.3, 24);
    const energy = x.reduce((a, v) => a + v * v, 0);
    expect(energy).toBeCloseTo(n, 6);
    expect(x[0]).toBeGreaterThan(1); // peak of s
    expect(x[40]).toBeLessThan(1); // valley of s
  });
});

describe('decoder tuning', () => {
  const model = buildSyntheticModel();

  /** Each frame of a 1.5 s synthetic signal (`seed`) coded at `rate` and decoded under two tunings: both outputs and the first decoder's fields. */
  function* decodedPairs(rate: Bitrate, seed: number, first: Partial<DecoderTuning>, second: Partial<DecoderTuning>) {
    const frames = analyzeSignal(Float64Array.from(syntheticSpeechLike(1.5, seed)));
    const enc = new FrameEncoder(model, rate);
    const da = new FrameDecoder(model, rate, first);
    const db = new FrameDecoder(model, rate, second);
    da.recordFields = true;
    db.recordFields = true;
    const a = new Float64Array(model.bins);
    const b = new Float64Array(model.bins);
    for (const f of frames) {
      const bytes = enc.encode(f);
      da.decode(bytes, a);
      db.decode(bytes, b);
      yield { a, b, fields: da.last!, secondFields: db.last! };
    }
  }

  it('rejects non-finite settings in one line', () => {
    expect(() => tuningFor(8000, { harmonicStrength: Number.NaN })).toThrow(/harmonicStrength must be a finite number/);
    expect(() => new FrameEncoder(model, 8000, { roundingOffset: 1 })).toThrow(/roundingOffset must be in \[0, 1\)/);
  });

  it('the shipped modes run the post-filter at every rate, with the MDCT-domain band split', () => {
    for (const r of [8000, 9600, 13200, 16400, 24400, 32000] as const) {
      expect(DEFAULT_TUNING[r].harmonicStrength).toBeGreaterThan(0);
      expect(DEFAULT_TUNING[r].harmonicSplitHz).toBeGreaterThan(0);
    }
  });

  it('changes output values only: every decoded field is the same with the tools on or off', () => {
    let differs = false;
    for (const { a, b, fields, secondFields } of decodedPairs(8000, 4, {}, NEUTRAL_TUNING)) {
      expect(fields).toEqual(secondFields);
      if (a.some((v, k) => v !== b[k])) differs = true;
    }
    expect(differs).toBe(true); // the reconstruction shift moved some values
  });

  it('the upper reconstruction shift pulls coded bins from reconHighBin up toward zero and leaves every other bin as it was', () => {
    let checked = 0;
    let moved = 0;
    // a: plain, b: pulled.
    for (const { a, b, fields } of decodedPairs(24400, 8, { reconHighBin: 180, reconShiftHigh: 0 }, { reconHighBin: 180, reconShiftHigh: -0.2 })) {
      const { q, tns } = fields;
      // TNS mixes the bins of a range; its lower range ends below 180, so only the upper one matters.
      if (tns[tns.length - 1] !== null) continue;
      checked++;
      for (let k = 0; k < model.bins; k++) {
        if (k >= 180 && q[k] !== 0) {
          expect(Math.abs(b[k])).toBeLessThan(Math.abs(a[k]));
          expect(Math.sign(b[k])).toBe(Math.sign(a[k]));
          moved++;
        } else {
          expect(b[k]).toBe(a[k]);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(moved).toBeGreaterThan(0);
  });

  // The fill level per region against a flat 0.4: below 2.5 kHz, 2.5–4.5 kHz, 4.5–6 kHz, from 6 kHz up.
  it.each([
    [8000, [1, 1, 0.7, 0.7]],
    [9600, [1, 1.5, 0.5, 0.5]],
    [13200, [1, 1, 1, 1]],
    [16400, [1, 1.25, 1, 1]],
    [24400, [1, 1.25, 1, 1]],
    [32000, [0.875, 0.875, 0.875, 1.05]],
  ] as const)('the fill profile at %i bit/s scales noise-filled bins by region %j and leaves coded bins alone', (rate, expected) => {
    const filled = [0, 0, 0, 0];
    let checked = 0;
    // a: flat, b: shaped (the shipped profile).
    for (const { a, b, fields } of decodedPairs(rate, 9, { fillLevel: 0.4, fillLowBin: 0, fillLowScale: 1, fillTopBin: 320, fillTopScale: 1 }, {})) {
      const { q, tns } = fields;
      if (tns.some((t) => t !== null)) continue; // TNS mixes the bins of its range
      checked++;
      for (let k = 0; k < model.bins; k++) {
        if (q[k] !== 0 || a[k] === 0) {
          expect(b[k]).toBe(a[k]);
          continue;
        }
        const region = k < 100 ? 0 : k < 180 ? 1 : k < 240 ? 2 : 3;
        expect(b[k] / a[k]).toBeCloseTo(expected[region], 12);
        filled[region]++;
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(filled.every((n) => n > 0)).toBe(true); // filled bins in every region
  });

  it('rejects negative fill levels and a lower fill region past the upper one', () => {
    expect(() => tuningFor(9600, { fillLowScale: -0.1 })).toThrow(/fillLowScale/);
    expect(() => tuningFor(9600, { fillLowBin: 200, fillTopBin: 180 })).toThrow(/fillLowBin/);
  });

  it('rejects an upper reconstruction bin below zero', () => {
    expect(() => tuningFor(24400, { reconHighBin: -1 })).toThrow(/reconHighBin/);
  });

  it.each([8000, 16400, 32000] as const)('the harmonic post-filter changes decoded samples only where the comb is on (%i bit/s)', (rate) => {
    const x = syntheticSpeechLike(2, 5);
    const bits = encodeSpeech(model, x, rate);
    const on = decodeSpeech(model, bits).samples;
    const off = decodeSpeech(model, bits, undefined, { harmonicStrength: 0 }).samples;
    expect(on.length).toBe(off.length);
    const dec = new Decoder(model, rate);
    const fb = dec.frameBytes;
    let combFrames = 0;
    for (let j = 0; j * fb + HEADER_BYTES < bits.length; j++) {
      dec.decodeFrame(bits.subarray(HEADER_BYTES + j * fb, HEADER_BYTES + (j + 1) * fb));
      if (dec.frameDecoder.lastCombLag >= 0) combFrames++;
    }
    expect(combFrames).toBeGreaterThan(0);
    const changed = on.some((v, i) => v !== off[i]);
    expect(changed).toBe(combFrames > 0);
  });
});

describe('encoder tuning', () => {
  const model = buildSyntheticModel();

  it('combMinSavingBits sets how readily the comb goes on, and streams stay decodable', () => {
    const x = syntheticSpeechLike(1.5, 6);
    const frames = analyzeSignal(Float64Array.from(x));
    const combFrames = (threshold: number): number => {
      const enc = new FrameEncoder(model, 16400, { combMinSavingBits: threshold });
      const dec = new FrameDecoder(model, 16400);
      const out = new Float64Array(model.bins);
      let on = 0;
      for (const f of frames) {
        dec.decode(enc.encode(f), out);
        if (dec.lastCombLag >= 0) on++;
      }
      return on;
    };
    const never = combFrames(1e9);
    const usual = combFrames(9);
    const eager = combFrames(-20);
    expect(never).toBe(0);
    expect(eager).toBeGreaterThan(usual);
    expect(eager).toBeGreaterThan(frames.length / 2);
    expect(() => new FrameEncoder(model, 8000, { combMinSavingBits: Number.NaN })).toThrow(/combMinSavingBits must be finite/);
  });
});

describe('decoder: lazy synthesis of the post-filter source', () => {
  const model = buildSyntheticModel();

  it.each([13200, 16400, 32000] as const)('gives the same samples as synthesizing every frame, with and without losses (%i bit/s)', (rate) => {
    const x = syntheticSpeechLike(3, 8);
    const bits = encodeSpeech(model, x, rate);
    const lazy = new Decoder(model, rate);
    const eager = new Decoder(model, rate);
    eager.lazySource = false;
    const fb = lazy.frameBytes;
    const rnd = mulberry32(11);
    let frames = 0;
    let skippedSome = false;
    let correctedSome = false;
    for (let j = 0; HEADER_BYTES + (j + 1) * fb <= bits.length; j++) {
      const frame = j > 20 && rnd() < 0.1 ? null : bits.subarray(HEADER_BYTES + j * fb, HEADER_BYTES + (j + 1) * fb);
      const a = lazy.decodeFrame(frame);
      const b = eager.decodeFrame(frame);
      for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) throw new Error(`frame ${j} sample ${n}: ${a[n]} vs ${b[n]}`);
      const on = lazy.frameDecoder.lastCombLag >= 0;
      if (on) correctedSome = true;
      else skippedSome = true;
      frames++;
    }
    expect(frames).toBeGreaterThan(100);
    expect(skippedSome && correctedSome).toBe(true);
  });
});
