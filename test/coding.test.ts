import { describe, expect, it } from 'vitest';
import { RangeDecoder, RangeEncoder, encodeSymbol } from '../src/coding/range-coder.js';
import { FORMAT_VERSION, HEADER_BYTES, codedLength, frameCountFor, readHeader, streamBytes, writeHeader, type StreamHeader } from '../src/coding/container.js';
import { CorruptDataError } from '../src/errors.js';
import { crc32 } from '../src/model/codec-model.js';
import {
  COMB_BINS,
  COMB_LAGS,
  COMB_OFFSETS,
  DEAD_ZONE_EDGE,
  NUM_SCALES,
  SCALE_TABLES,
  TABLE_SYMBOLS,
  magnitudeBits,
  scaleOfIndex,
} from '../src/model/entropy-model.js';
import { perceptualWeights } from '../src/model/perceptual.js';
import { lpcFromPowerSpectrum, lpcResponseAtBins } from '../src/dsp/lpc.js';
import { Rng } from '../src/vq/random.js';

/** A random strictly increasing cumulative table over n symbols with the given total. */
function randomCdf(rng: Rng, n: number, total: number, skew: number): Int32Array {
  const w = Array.from({ length: n }, (_, i) => Math.exp(-skew * i) * (0.1 + rng.uniform()));
  const sum = w.reduce((a, b) => a + b, 0);
  const freq = w.map((x) => 1 + Math.floor((x / sum) * (total - n)));
  freq[0] += total - freq.reduce((a, b) => a + b, 0);
  const cdf = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) cdf[i + 1] = cdf[i] + freq[i];
  return cdf;
}

describe('range coder', () => {
  it('decodes exactly what was encoded, with identical tellBits on both sides', () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + rng.int(60);
      const total = [256, 4096, 1 << 15, 1 << 16][rng.int(4)];
      const cdf = randomCdf(rng, n, total, rng.uniform() * 3);
      const count = rng.int(400);
      const syms: number[] = [];
      const kinds: number[] = [];
      const enc = new RangeEncoder();
      const tells: number[] = [];
      for (let i = 0; i < count; i++) {
        const kind = rng.int(3);
        kinds.push(kind);
        if (kind === 0) {
          // Draw from the table's own distribution so long runs of likely symbols occur.
          const v = rng.int(total);
          let s = 0;
          while (cdf[s + 1] <= v) s++;
          syms.push(s);
          encodeSymbol(enc, cdf, n, s);
        } else if (kind === 1) {
          const s = rng.int(1 << 12);
          syms.push(s);
          enc.encodeBits(s, 12);
        } else {
          const s = rng.uniform() < 0.97 ? 0 : 1;
          syms.push(s);
          enc.encodeBit(s, 1, 64);
        }
        tells.push(enc.tellBits());
      }
      const tell = enc.tellBits();
      const bytes = enc.finish();
      // The budget rule: tellBits() ≤ 8·B guarantees the terminated stream fits in B bytes.
      expect(bytes.length).toBeLessThanOrEqual(Math.ceil(tell / 8));
      const dec = new RangeDecoder(bytes);
      const got: number[] = [];
      const gotTells: number[] = [];
      for (let i = 0; i < count; i++) {
        got.push(kinds[i] === 0 ? dec.decodeSymbol(cdf, n) : kinds[i] === 1 ? dec.decodeBits(12) : dec.decodeBit(1, 64));
        gotTells.push(dec.tellBits());
      }
      expect(got).toEqual(syms);
      expect(gotTells).toEqual(tells);
    }
  });

  it('propagates carries through long runs of 0xFF (extreme probabilities)', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 100; trial++) {
      const enc = new RangeEncoder(1 << 16);
      const seq: number[] = [];
      for (let i = 0; i < 3000; i++) {
        // Mostly the top of the interval, which pushes low towards 0xFF… bytes.
        const s = rng.uniform() < 0.999 ? 1 : 0;
        seq.push(s);
        if (s) enc.encode(1, 65535, 65536);
        else enc.encode(0, 1, 65536);
      }
      const bytes = enc.finish();
      const dec = new RangeDecoder(bytes);
      const got = seq.map(() => {
        const g = dec.target(65536) >= 1 ? 1 : 0;
        if (g) dec.consume(1, 65535, 65536);
        else dec.consume(0, 1, 65536);
        return g;
      });
      expect(got).toEqual(seq);
    }
  });

  it('decodes zero-padded streams the same (frames are padded to their byte budget)', () => {
    const enc = new RangeEncoder();
    for (let i = 0; i < 50; i++) enc.encodeBits(i * 37 % 4096, 12);
    const bytes = enc.finish();
    const padded = new Uint8Array(bytes.length + 9);
    padded.set(bytes);
    const dec = new RangeDecoder(padded);
    for (let i = 0; i < 50; i++) expect(dec.decodeBits(12)).toBe(i * 37 % 4096);
  });

  it('never fails on arbitrary bytes: every target is in range', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 300; trial++) {
      const buf = new Uint8Array(rng.int(40));
      for (let i = 0; i < buf.length; i++) buf[i] = rng.int(256);
      const dec = new RangeDecoder(buf);
      const cdf = randomCdf(rng, 10, 1 << 15, 1);
      let bad = 0;
      for (let i = 0; i < 200; i++) {
        const s = dec.decodeSymbol(cdf, 10);
        if (!(s >= 0 && s < 10)) bad++;
      }
      expect(bad).toBe(0);
    }
  });

  it('decodeSymbolPow2 reads exactly what decodeSymbol reads (same symbols, same state) on any bytes', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 200; trial++) {
      const buf = new Uint8Array(1 + rng.int(60));
      for (let i = 0; i < buf.length; i++) buf[i] = rng.int(256);
      const bits = [8, 12, 15, 16][rng.int(4)];
      const cdf = randomCdf(rng, 2 + rng.int(40), 1 << bits, rng.uniform() * 2);
      const n = cdf.length - 1;
      const a = new RangeDecoder(buf);
      const b = new RangeDecoder(buf);
      for (let i = 0; i < 100; i++) {
        const k = rng.int(3);
        if (k === 0) expect(b.decodeSymbolPow2(cdf, n, bits)).toBe(a.decodeSymbol(cdf, n));
        else expect(b.decodeBits(k * 5)).toBe(a.decodeBits(k * 5));
        expect(b.tellBits()).toBe(a.tellBits());
      }
    }
  });
});

describe('container', () => {
  const header: StreamHeader = {
    version: FORMAT_VERSION,
    bitrate: 13200,
    originalRate: 44100,
    originalLength: 12345,
    frameCount: frameCountFor(codedLength(12345, 44100)),
    modelId: '0123456789abcdef',
  };

  it('writes and reads back every field; size formula is exact', () => {
    const file = new Uint8Array(streamBytes(header));
    file.set(writeHeader(header));
    expect(codedLength(12345, 44100)).toBe(4479); // round(12345 · 16000 / 44100)
    expect(file.length).toBe(HEADER_BYTES + (Math.ceil(4479 / 320) + 1) * 33);
    const { header: h, headerBytes } = readHeader(file);
    expect(h).toEqual(header);
    expect(headerBytes).toBe(HEADER_BYTES);
  });

  it('rejects truncation, trailing bytes, bad magic and every single-bit flip of the header', () => {
    const file = new Uint8Array(streamBytes(header));
    file.set(writeHeader(header));
    expect(() => readHeader(file.subarray(0, file.length - 1))).toThrow(/truncated/);
    expect(() => readHeader(file.subarray(0, 10))).toThrow(CorruptDataError);
    const longer = new Uint8Array(file.length + 1);
    longer.set(file);
    expect(() => readHeader(longer)).toThrow(/trailing/);
    expect(() => readHeader(new TextEncoder().encode('RIFF....WAVE'))).toThrow(/magic/);
    for (let bit = 0; bit < HEADER_BYTES * 8; bit++) {
      const bad = file.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      expect(() => readHeader(bad), `bit ${bit}`).toThrow(CorruptDataError);
    }
  });

  it('refuses a stream of another format version with a clear message (older ones lack fields)', () => {
    expect(FORMAT_VERSION).toBe(5);
    const file = new Uint8Array(streamBytes(header));
    file.set(writeHeader(header));
    const withVersion = (v: number): Uint8Array => {
      const b = file.slice();
      b[4] = v;
      new DataView(b.buffer).setUint32(28, crc32(b, 0, 28), true);
      return b;
    };
    for (const v of [1, 2, 3, 4]) {
      expect(() => readHeader(withVersion(v))).toThrow(new RegExp(`format version ${v} was written by an older nsvq-codec; this one reads version 5 only \\(re-encode the audio\\)`));
    }
    expect(() => readHeader(withVersion(6))).toThrow(/unsupported format version 6 \(this program reads version 5; a newer nsvq-codec wrote it\)/);
    expect(() => readHeader(withVersion(5))).not.toThrow();
  });

  it('refuses to write an inconsistent header', () => {
    expect(() => writeHeader({ ...header, frameCount: 3 })).toThrow(RangeError);
    expect(() => writeHeader({ ...header, modelId: 'xyz' })).toThrow(RangeError);
  });
});

describe('entropy model tables', () => {
  it('every scale index has a strictly increasing integer CDF with total 2^15', () => {
    expect(SCALE_TABLES.length).toBe(NUM_SCALES);
    const problems: string[] = [];
    SCALE_TABLES.forEach((t, j) => {
      if (t.cdf[0] !== 0 || t.cdf[TABLE_SYMBOLS + 1] !== 1 << 15) problems.push(`${j}: ends`);
      for (let s = 0; s <= TABLE_SYMBOLS; s++) if (!(t.cdf[s + 1] > t.cdf[s])) problems.push(`${j}: symbol ${s}`);
      if (!(t.deadZoneRms > 0 && t.deadZoneRms < DEAD_ZONE_EDGE)) problems.push(`${j}: rms ${t.deadZoneRms}`);
    });
    expect(problems).toEqual([]);
  });

  it('ideal code lengths match the Laplacian (zero is cheap at small scale, dear at large)', () => {
    const small = 64; // b = 2^-4
    const large = 224; // b = 2^6
    expect(scaleOfIndex(128)).toBe(1);
    expect(magnitudeBits(small, 0)).toBeLessThan(0.01);
    expect(magnitudeBits(large, 0)).toBeGreaterThan(5);
    // At b = 1: P(0) = 1 − e^{−0.7}, P(|q| = 1) = e^{−0.7} − e^{−1.7}, split over two signs.
    expect(magnitudeBits(128, 0)).toBeCloseTo(-Math.log2(1 - Math.exp(-0.7)), 2);
    expect(magnitudeBits(128, 1)).toBeCloseTo(-Math.log2((Math.exp(-0.7) - Math.exp(-1.7)) / 2), 2);
  });

  it('comb offsets keep each 20-bin band near its mean scale and peak at harmonics', () => {
    for (let i = 0; i < COMB_LAGS; i += 17) {
      const off = COMB_OFFSETS[i];
      expect(off.length).toBe(COMB_BINS);
      for (let b0 = 0; b0 < COMB_BINS; b0 += 20) {
        let mean = 0;
        for (let k = b0; k < b0 + 20; k++) mean += 2 ** (off[k] / 16);
        expect(Math.abs(Math.log2(mean / 20))).toBeLessThan(0.1);
      }
    }
    // P = 10 bins (i = 70): the first harmonic sits at bin centre 9.5 (k + 0.5 = P).
    const off = COMB_OFFSETS[70];
    expect(off[9]).toBeGreaterThan(off[4]);
  });
});

describe('perceptual weights', () => {
  it('have geometric mean 1 and give a formant peak a coarser step than its surroundings', () => {
    const s = new Float64Array(320);
    for (let k = 0; k < 320; k++) s[k] = 1 + 1000 * Math.exp(-(((k - 100) / 6) ** 2));
    const w = perceptualWeights(s);
    let lg = 0;
    for (const v of w) lg += Math.log(v);
    expect(Math.abs(lg / 320)).toBeLessThan(1e-9);
    // Same as the DSP module's LPC-from-power-spectrum path on the tilted spectrum (DESIGN §1).
    const tilted = s.map((v, k) => v * (1 + 0.95 ** 2 - 1.9 * Math.cos((Math.PI * (k + 0.5)) / 320)));
    const ref = lpcResponseAtBins(lpcFromPowerSpectrum(tilted, 16, { lagWindowHz: 60, whiteNoiseCorrection: 1e-4 }), 0.85, 320);
    const g = Math.exp(ref.reduce((acc, v) => acc + Math.log(v), 0) / 320);
    let maxErr = 0;
    for (let k = 0; k < 320; k++) maxErr = Math.max(maxErr, Math.abs(w[k] - ref[k] / g));
    expect(maxErr).toBeLessThan(1e-9);
    // A(z/γ) has a valley at the formant: smaller weight → larger step Δ = g/w there.
    expect(w[100]).toBeLessThan(w[50]);
    expect(w[100]).toBeLessThan(w[160]);
  });
});

describe('encoder nearest-codeword search', () => {
  it('agrees with the naive search on random and clustered data, dims 16 and 5', async () => {
    const { NearestSearcher } = await import('../src/model/msvq-search.js');
    const { nearestCodewordsNaive } = await import('../src/vq/search.js');
    const rng = new Rng(5);
    for (const [k, dim] of [[4096, 16], [300, 16], [257, 5]] as const) {
      const cb = new Float32Array(k * dim);
      for (let i = 0; i < cb.length; i++) cb[i] = rng.normal() * (1 + (i % dim === 0 ? 4 : 0));
      // Duplicate codewords: ties must go to the lowest index.
      cb.copyWithin(7 * dim, 3 * dim, 4 * dim);
      const s = new NearestSearcher(cb, k, dim);
      const n = 400;
      const data = new Float32Array(n * dim);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * (i % dim === 0 ? 3 : 1);
      data.set(cb.subarray(7 * dim, 8 * dim), 0); // exactly on the duplicated codeword
      const want = nearestCodewordsNaive(data, n, cb, k, dim);
      const got = Array.from({ length: n }, (_, i) => s.nearest(data.subarray(i * dim, (i + 1) * dim)));
      expect(got).toEqual(Array.from(want));
      expect(got[0]).toBe(3);
    }
  });
});
