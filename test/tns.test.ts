import { describe, expect, it } from 'vitest';
import {
  TNS_MAX_ORDER,
  TNS_MODES,
  TNS_PARCOR,
  TnsAnalyzer,
  parcorToLpc,
  quantizeParcor,
  tnsAnalysis,
  tnsConfigOf,
  tnsPredictionGain,
  tnsSynthesis,
} from '../src/coding/tns.js';
import { Decoder } from '../src/codec/decoder.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import { buildSyntheticModel } from '../src/model/synthetic-model.js';
import { BITRATES } from '../src/coding/modes.js';
import { mulberry32 } from './helpers/signals.js';
import { encodeWithFields } from './helpers/frame-fields.js';

const HOP = 320;

/** Silence with short noise bursts every `period` samples: sharp onsets and offsets. */
function bursts(n: number, period: number, length: number, seed = 4): Float32Array {
  const rnd = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = i % period;
    x[i] = p < length ? 0.4 * (rnd() - 0.5) * Math.exp(-p / (length / 3)) : 0.0005 * (rnd() - 0.5);
  }
  return x;
}

describe('TNS filter (coding/tns.ts)', () => {
  it('quantizes a reflection coefficient to the nearest table entry', () => {
    for (let i = 1; i < TNS_PARCOR.length; i++) expect(TNS_PARCOR[i]).toBeGreaterThan(TNS_PARCOR[i - 1]);
    expect(Math.max(...TNS_PARCOR.map(Math.abs))).toBeLessThan(1);
    const rnd = mulberry32(2);
    for (let t = 0; t < 500; t++) {
      const k = 2 * rnd() - 1;
      const got = quantizeParcor(k);
      let best = 0;
      for (let i = 1; i < TNS_PARCOR.length; i++) if (Math.abs(TNS_PARCOR[i] - k) < Math.abs(TNS_PARCOR[best] - k)) best = i;
      expect(Math.abs(TNS_PARCOR[got] - k)).toBeCloseTo(Math.abs(TNS_PARCOR[best] - k), 12);
    }
  });

  it('synthesis inverts analysis for any quantized filter and range', () => {
    const rnd = mulberry32(7);
    for (let t = 0; t < 20; t++) {
      const order = 1 + (t % TNS_MAX_ORDER);
      const idx = Int32Array.from({ length: order }, () => Math.floor(rnd() * TNS_PARCOR.length));
      const a = new Float64Array(order + 1);
      parcorToLpc(idx, order, a, new Float64Array(order + 1));
      const u = Float64Array.from({ length: 320 }, () => rnd() - 0.5);
      const y = u.slice();
      const start = [0, 8, 40, 80][t % 4];
      tnsAnalysis(y, a, order, start, 320);
      for (let k = 0; k < start; k++) expect(y[k]).toBe(u[k]);
      tnsSynthesis(y, a, order, start, 320);
      for (let k = 0; k < 320; k++) expect(y[k]).toBeCloseTo(u[k], 6);
    }
  });

  it('finds a high prediction gain in a time-localised frame and little in noise', () => {
    const an = new TnsAnalyzer();
    const idx = new Int32Array(4);
    const rnd = mulberry32(11);
    // A click at one instant is a cosine across frequency: predictable from bin to bin.
    const click = Float64Array.from({ length: 320 }, (_, k) => Math.cos((Math.PI * (k + 0.5) * 71) / 320) * (1 + 0.1 * rnd()));
    const gClick = an.choose(click, 4, 40, 320, idx);
    expect(gClick).toBeGreaterThan(3);
    expect(tnsPredictionGain(idx, 4)).toBeGreaterThan(2);
    const noise = Float64Array.from({ length: 320 }, () => rnd() - 0.5);
    expect(an.choose(noise, 4, 40, 320, idx)).toBeLessThan(TNS_MODES[24400].minGain);
    expect(an.choose(new Float64Array(320), 4, 40, 320, idx)).toBe(1);
  });

  it('rejects invalid settings', () => {
    expect(() => tnsConfigOf(24400, { tnsOrder: TNS_MAX_ORDER + 1 })).toThrow(RangeError);
    expect(() => tnsConfigOf(24400, { tnsStartBin: 320 })).toThrow(RangeError);
    expect(() => tnsConfigOf(24400, { tnsMinGain: 0.5 })).toThrow(RangeError);
    expect(() => tnsConfigOf(24400, { tnsSplitBin: 30 })).toThrow(RangeError); // not above the start bin
    expect(tnsConfigOf(24400, { tnsOrder: 0 }).order).toBe(0);
  });
});

describe('TNS in the stream', () => {
  const model = buildSyntheticModel();

  it('the decoder reads the filter the encoder chose, frame by frame, on in some frames only', () => {
    const x = bursts(16000, 2200, 700);
    for (const bitrate of [8000, 16400, 32000] as const) {
      const { frames, fields } = encodeWithFields(model, bitrate, x);
      const written = fields.map((f) => f.tns);
      const dec = new Decoder(model, bitrate);
      dec.frameDecoder.recordFields = true;
      const on = [0, 0];
      frames.forEach((f, j) => {
        dec.decodeFrame(f);
        expect(dec.frameDecoder.last!.tns, `${bitrate} frame ${j}`).toEqual(written[j]);
        expect(written[j], `${bitrate}: one field per range`).toHaveLength(bitrate >= 16400 ? 2 : 1);
        written[j].forEach((t, r) => {
          if (t !== null) on[r]++;
        });
      });
      // Each range's filter is on in some frames only, and the two ranges decide apart.
      for (let r = 0; r < written[0].length; r++) {
        expect(on[r], `${bitrate}: frames with TNS in range ${r}`).toBeGreaterThan(0);
        expect(on[r], `${bitrate}: frames with TNS in range ${r}`).toBeLessThan(frames.length);
      }
    }
  });

  it('decides the two ranges apart at 16.4–32 kbit/s: bursts below 2.5 kHz over a steady tone above', () => {
    // The bursts' energy above 2.5 kHz is small next to a steady 6 kHz tone, whose flat time
    // envelope keeps the upper range's filter off while the lower range's turns on.
    const b = bursts(16000, 2200, 700);
    const x = Float32Array.from(b, (v, i) => v + 0.2 * Math.sin((2 * Math.PI * 6000 * i) / 16000));
    for (const bitrate of [16400, 32000] as const) {
      const { fields } = encodeWithFields(model, bitrate, x);
      const lowOnly = fields.filter((f) => f.tns[0] !== null && f.tns[1] === null).length;
      expect(lowOnly, `${bitrate}: frames with the lower range on and the upper off`).toBeGreaterThan(0);
    }
  });

  it('puts less noise into the silence before and after a burst than the codec without it', () => {
    const x = bursts(4 * 16000, 3200, 900, 6);
    for (const bitrate of [13200, 32000] as const) {
      const quietError = (order: number | undefined): number => {
        const settings = order === undefined ? {} : { tnsOrder: order };
        const y = decodeSpeech(model, encodeSpeech(model, x, bitrate, 16000, undefined, settings), undefined, settings).samples;
        let e = 0;
        for (let i = 0; i < x.length; i++) if (i % 3200 >= 1100) e += (y[i] - x[i]) ** 2;
        return e;
      };
      const withTns = quietError(undefined);
      const without = quietError(0);
      expect(withTns, `${bitrate}`).toBeLessThan(0.8 * without);
    }
  });

  it('every mode uses it, and the same input gives the same bytes and samples', () => {
    for (const b of BITRATES) expect(TNS_MODES[b].order).toBeGreaterThan(0);
    const x = bursts(8000, 1500, 500, 8);
    const bits = encodeSpeech(model, x, 24400);
    const again = encodeSpeech(model, x, 24400);
    expect(Array.from(again)).toEqual(Array.from(bits));
    expect(Array.from(decodeSpeech(model, again).samples)).toEqual(Array.from(decodeSpeech(model, bits).samples));
  });
});
