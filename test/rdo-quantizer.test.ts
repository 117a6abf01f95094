import { describe, expect, it } from 'vitest';
import { Encoder } from '../src/codec/encoder.js';
import { FrameDecoder } from '../src/coding/frame-decoder.js';
import { FrameShape } from '../src/coding/frame-shape.js';
import { FrameEncoder } from '../src/coding/frame-encoder.js';
import { RDO_LAMBDA, lambdaRegionsOf, quantizerThresholds } from '../src/coding/rdo-quantizer.js';
import type { EncoderTuning } from '../src/coding/frame-encoder.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import type { Bitrate } from '../src/coding/modes.js';

const model = buildSyntheticModel();
const speech = syntheticSpeechLike(4, 5);
/** Encoder settings with no λ regions: one λ over the whole band. */
const ONE_LAMBDA = { lambdaHighBin: 320, lambdaTopBin: 320 };

/**
 * Σ ((X − X̂)·w)² over a signal's frames, the error the quantizer's thresholds weigh against
 * bits: the encoder's own MDCT frames against the decoder's coefficients, with no noise fill
 * and no TNS (so that only quantization differs).
 */
function weightedError(bitrate: Bitrate, rdoLambda?: number): number {
  // One λ over the whole band: the λ regions raise the error above 6 kHz on purpose.
  return quantizationStats(bitrate, rdoLambda === undefined ? ONE_LAMBDA : { ...ONE_LAMBDA, rdoLambda }).error;
}

/**
 * The weighted error of weightedError, in total and below bin `split`, and the count of nonzero
 * magnitudes from `split` up, for encoder settings `extra`.
 */
function quantizationStats(bitrate: Bitrate, extra: Partial<EncoderTuning>, split = 320): { error: number; errorBelow: number; nonzeroAbove: number } {
  const settings = { tnsOrder: 0, ...extra };
  const enc = new Encoder(model, bitrate, settings);
  const fe = enc.frameEncoder;
  const encodeFrame = fe.encode.bind(fe);
  const frames: Array<{ X: Float64Array; bytes: Uint8Array }> = [];
  fe.encode = (X, pitch) => {
    const bytes = encodeFrame(X, pitch);
    frames.push({ X: Float64Array.from(X), bytes });
    return bytes;
  };
  for (let i = 0; i < speech.length; i += 320) enc.push(speech.subarray(i, i + 320));
  enc.flush();
  const dec = new FrameDecoder(model, bitrate, { fillLevel: 0, tnsOrder: 0 });
  dec.recordFields = true;
  const shape = new FrameShape(model, bitrate);
  const out = new Float64Array(320);
  let error = 0;
  let errorBelow = 0;
  let nonzeroAbove = 0;
  for (const { X, bytes } of frames) {
    expect(bytes.length).toBe(bitrate / 400);
    dec.decode(bytes, out);
    shape.derive(dec.last!.indices);
    for (let k = 0; k < 320; k++) {
      const e = ((X[k] - out[k]) * shape.w[k]) ** 2;
      error += e;
      if (k < split) errorBelow += e;
      else if (dec.last!.q[k] !== 0) nonzeroAbove++;
    }
  }
  return { error, errorBelow, nonzeroAbove };
}

describe('rate–distortion quantization thresholds (frame-encoder.ts)', () => {
  it('λ is 2·ln 2 / 12, the high-rate slope of a uniform quantizer', () => {
    expect(RDO_LAMBDA).toBeCloseTo(0.1155, 4);
  });

  it('gives a lower weighted error than the fixed dead zone in the same frame size', () => {
    for (const [bitrate, most] of [[8000, 1], [13200, 0.99], [32000, 0.985]] as const) {
      const rdo = weightedError(bitrate);
      const fixed = weightedError(bitrate, 0);
      expect(rdo / fixed, `${bitrate} bit/s`).toBeLessThan(most);
    }
  });

  it('thresholds: the fixed dead zone at λ = 0; at λ > 0 zeros cost more where a nonzero costs more bits', () => {
    const fixed = quantizerThresholds(0, 0.3);
    expect(fixed.zero.every((z) => Math.abs(z - 0.7) < 1e-15)).toBe(true);
    expect(fixed.round.every((r) => r === 0.3)).toBe(true);
    const t = quantizerThresholds(RDO_LAMBDA, 0.3);
    for (let j = 0; j < t.zero.length; j++) {
      expect(t.zero[j]).toBeGreaterThanOrEqual(0.5);
      expect(t.zero[j]).toBeLessThanOrEqual(2);
      expect(t.round[j]).toBeGreaterThanOrEqual(0.05);
      expect(t.round[j]).toBeLessThanOrEqual(0.5);
    }
    // Low scale indices (narrow distributions): a nonzero is expensive, the zero threshold is high.
    expect(t.zero[0]).toBeGreaterThan(t.zero[t.zero.length - 1]);
  });

  it('λ regions: a larger λ from 6 kHz up zeroes more bins there and spends the bits below', () => {
    for (const bitrate of [24400, 32000] as const) {
      const withRegions = quantizationStats(bitrate, {}, 240);
      const without = quantizationStats(bitrate, ONE_LAMBDA, 240);
      expect(withRegions.nonzeroAbove, `${bitrate} bit/s`).toBeLessThan(0.9 * without.nonzeroAbove);
      expect(withRegions.errorBelow, `${bitrate} bit/s`).toBeLessThan(without.errorBelow);
    }
    // An explicit region at a mode without one changes the stream the same way.
    const plain = quantizationStats(16400, {}, 240);
    const forced = quantizationStats(16400, { lambdaHighBin: 240, lambdaHighScale: 4 }, 240);
    expect(forced.nonzeroAbove).toBeLessThan(plain.nonzeroAbove);
  });

  it('λ regions: rejects regions inside the comb band, out of order or with a non-positive scale', () => {
    expect(lambdaRegionsOf(32000).highBin).toBeLessThan(320);
    expect(lambdaRegionsOf(8000, {}, 200)).toMatchObject({ highBin: 320, topBin: 320 });
    expect(() => lambdaRegionsOf(32000, { highBin: 100 }, 200)).toThrow(RangeError);
    expect(() => lambdaRegionsOf(32000, { highBin: 300, topBin: 280 }, 200)).toThrow(RangeError);
    expect(() => lambdaRegionsOf(32000, { topBin: 400 }, 200)).toThrow(RangeError);
    expect(() => lambdaRegionsOf(32000, { highScale: 0 }, 200)).toThrow(RangeError);
    expect(() => new FrameEncoder(model, 24400, { lambdaHighBin: 120 })).toThrow(RangeError);
  });

  it('rejects a negative or non-finite λ', () => {
    expect(() => new FrameEncoder(model, 13200, { rdoLambda: -0.1 })).toThrow(RangeError);
    expect(() => new FrameEncoder(model, 13200, { rdoLambda: Number.NaN })).toThrow(RangeError);
  });
});
