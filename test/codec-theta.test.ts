import { describe, expect, it } from 'vitest';
import { BITRATES, frameBits } from '../src/coding/modes.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import { Decoder } from '../src/codec/decoder.js';
import { Encoder } from '../src/codec/encoder.js';
import { HEADER_BYTES, readHeader } from '../src/coding/container.js';
import { FrameDecoder } from '../src/coding/frame-decoder.js';
import { UserError } from '../src/errors.js';
import type { CodecModel } from '../src/model/codec-model.js';
import { ENTROPY_MODEL_KINDS, LAPLACE_LOG_SCALE_PER_BIN, scaleIndexOffsets } from '../src/model/entropy-model.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';

/** The codec applies the model's learned per-bin Laplacian scale exp(θ_k) (issue 6 "the codec uses it"). */
const base = buildSyntheticModel();
const signal = syntheticSpeechLike(0.8, 3);

function withTheta(theta: (k: number) => number, kind = LAPLACE_LOG_SCALE_PER_BIN): CodecModel {
  return { ...base, entropyModel: { kind, params: Float32Array.from({ length: base.bins }, (_, k) => theta(k)) } };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

describe('scale-index offsets from θ', () => {
  it('are round(16·θ/ln 2) per bin, zero without a section, clamped far out', () => {
    expect(Array.from(scaleIndexOffsets(base))).toEqual(new Array(base.bins).fill(0));
    const steps = [0, 1, -1, 3, -7, 16, -16, 100];
    const m = withTheta((k) => ((steps[k % steps.length] + (k % 3 === 0 ? 0.3 : -0.3)) * Math.LN2) / 16);
    const off = scaleIndexOffsets(m);
    for (let k = 0; k < base.bins; k++) expect(off[k], `bin ${k}`).toBe(steps[k % steps.length]);
    expect(scaleIndexOffsets(withTheta(() => 1e30))[0]).toBeLessThan(1000);
    expect(scaleIndexOffsets(withTheta(() => -1e30))[0]).toBeGreaterThan(-1000);
    expect(scaleIndexOffsets(withTheta(() => Math.LN2))[5]).toBe(16); // b doubles: one octave
  });

  it('an unknown kind or a wrong parameter count is a UserError when the codec is built', () => {
    const unknown = withTheta(() => 0, 'logistic-mixture-v9');
    for (const make of [() => new Encoder(unknown, 8000), () => new Decoder(unknown, 8000)]) {
      expect(make).toThrow(UserError);
      expect(make).toThrow(/logistic-mixture-v9.*supports: laplace-log-scale-per-bin/);
    }
    expect(ENTROPY_MODEL_KINDS).toContain(LAPLACE_LOG_SCALE_PER_BIN);
    const short: CodecModel = { ...base, entropyModel: { kind: LAPLACE_LOG_SCALE_PER_BIN, params: new Float32Array(16) } };
    expect(() => new Encoder(short, 13200)).toThrow(/16 parameters, expected 320/);
  });
});

describe('codec with a learned θ', () => {
  it('θ = 0 gives exactly the bytes of a model without the section', () => {
    for (const b of [8000, 24400] as const) {
      expect(same(encodeSpeech(withTheta(() => 0), signal, b), encodeSpeech(base, signal, b))).toBe(true);
    }
  });

  it('a large θ changes the bytes; both sides use it; sizes stay exact; the round trip still works', () => {
    const wide = withTheta((k) => (k < 160 ? 0.6 : -0.6)); // ±14 scale steps
    for (const b of BITRATES) {
      const plain = encodeSpeech(base, signal, b);
      const file = encodeSpeech(wide, signal, b);
      expect(file.length).toBe(plain.length);
      const { header } = readHeader(file);
      expect(file.length).toBe(HEADER_BYTES + header.frameCount * (frameBits(b) / 8));
      expect(same(file, plain), `${b}`).toBe(false);
      const y = decodeSpeech(wide, file).samples;
      expect(y.length).toBe(signal.length);
      let sx = 0;
      let se = 0;
      for (let i = 0; i < y.length; i++) {
        sx += signal[i] ** 2;
        se += (signal[i] - y[i]) ** 2;
      }
      expect(10 * Math.log10(sx / se), `${b}`).toBeGreaterThan(0);
      // The decoder reads the same bits with θ's scale indices: a θ-less decoder reads other values.
      const fb = frameBits(b) / 8;
      const frame = file.subarray(HEADER_BYTES + 5 * fb, HEADER_BYTES + 6 * fb);
      const withT = new FrameDecoder(wide, b);
      const without = new FrameDecoder(base, b);
      withT.recordFields = without.recordFields = true;
      withT.decode(frame, new Float64Array(320));
      without.decode(frame, new Float64Array(320));
      expect(Array.from(withT.last!.q)).not.toEqual(Array.from(without.last!.q));
    }
  });

  it('the decoder reads back exactly the quantized values the encoder coded with θ', () => {
    const m = withTheta((k) => Math.sin(k / 7));
    for (const b of [8000, 16400, 32000] as const) {
      const enc = new Encoder(m, b);
      enc.frameEncoder.recordFields = true;
      const dec = new FrameDecoder(m, b);
      dec.recordFields = true;
      const out = new Float64Array(320);
      let frames = 0;
      for (let i = 0; i < signal.length; i += 320) {
        for (const f of enc.push(signal.subarray(i, i + 320))) {
          dec.decode(f, out);
          const e = enc.frameEncoder.last!;
          const d = dec.last!;
          expect({ ...d, q: Array.from(d.q), indices: Array.from(d.indices) }).toEqual({ ...e, q: Array.from(e.q), indices: Array.from(e.indices) });
          frames++;
        }
      }
      expect(frames).toBeGreaterThan(30);
    }
  });

  it('noise filling keeps the θ-less level: a zero bin gets the same magnitude with or without θ', () => {
    const m = withTheta((k) => (k < 100 ? 0.4 : -0.8)); // ±9…18 scale steps
    const file = encodeSpeech(m, signal, 9600);
    const fb = frameBits(9600) / 8;
    const withT = new FrameDecoder(m, 9600);
    const without = new FrameDecoder(base, 9600);
    withT.recordFields = without.recordFields = true;
    const a = new Float64Array(320);
    const b = new Float64Array(320);
    let compared = 0;
    for (let j = 1; j < 30; j++) {
      const frame = file.subarray(HEADER_BYTES + j * fb, HEADER_BYTES + (j + 1) * fb);
      withT.decode(frame, a);
      without.decode(frame, b);
      // TNS synthesis mixes neighbouring bins after the fill: compare frames without it.
      if (withT.last!.tns.some((t) => t !== null)) continue;
      for (let k = 20; k < 320; k++) {
        if (withT.last!.q[k] !== 0 || without.last!.q[k] !== 0) continue;
        expect(Math.abs(a[k]), `frame ${j} bin ${k}`).toBe(Math.abs(b[k]));
        expect(a[k]).not.toBe(0);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
