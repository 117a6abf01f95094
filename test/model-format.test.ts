import { describe, expect, it } from 'vitest';
import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  type CodecModel, ENVELOPE_FLOOR, crc32, envelopeOf, loadModel, modelIdOf, parseModel, serializeModel,
  varianceFromEnvelope, packageRoot,
} from '../src/model/codec-model.js';
import { bandEdges, defaultAnalysisMatrix, defaultSynthesisMatrix } from '../src/model/default-envelope.js';
import { CorruptDataError, UserError } from '../src/errors.js';
import { testTempDir } from './helpers/temp.js';

/** A small deterministic pseudo-random generator, so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function smallModel(opts: { stageBits?: number; stages?: number; card?: boolean; entropy?: boolean } = {}): Omit<CodecModel, 'id'> {
  const bins = 40;
  const bands = 4;
  const stageBits = opts.stageBits ?? 4;
  const rnd = lcg(7);
  const codebooks: Float32Array[] = [];
  for (let s = 0; s < (opts.stages ?? 3); s++) {
    const cb = new Float32Array(2 ** stageBits * bands);
    for (let i = 0; i < cb.length; i++) cb[i] = (rnd() - 0.5) * 4;
    codebooks.push(cb);
  }
  const m: Omit<CodecModel, 'id'> = {
    bins, bands, stageBits, codebooks,
    analysis: defaultAnalysisMatrix(bins, bands),
    synthesis: defaultSynthesisMatrix(bins, bands),
    stagesPerMode: { '8000': 1, '13200': Math.min(2, codebooks.length), '32000': codebooks.length },
  };
  if (opts.card ?? true) m.card = { name: 'test', frames: 123, nested: { ok: true, text: 'ε ü' } };
  if (opts.entropy) m.entropyModel = { kind: 'laplace-v1', params: new Float32Array([0.5, -1.25, 3]) };
  return m;
}

describe('default envelope matrices', () => {
  it('A averages the 20 bins of each 500 Hz band', () => {
    const a = defaultAnalysisMatrix();
    expect(a.length).toBe(16 * 320);
    const edges = bandEdges(320, 16);
    for (let b = 0; b < 16; b++) {
      expect(edges[b]).toBe(20 * b);
      let sum = 0;
      for (let k = 0; k < 320; k++) {
        const v = a[b * 320 + k];
        if (k >= 20 * b && k < 20 * b + 20) expect(v).toBeCloseTo(1 / 20, 7);
        else expect(v).toBe(0);
        sum += v;
      }
      expect(sum).toBeCloseTo(1, 6);
    }
  });

  it('B rows sum to 1 and reproduce a power spectrum linear in frequency between band centres', () => {
    const bins = 320;
    const bands = 16;
    const a = defaultAnalysisMatrix(bins, bands);
    const bm = defaultSynthesisMatrix(bins, bands);
    for (let k = 0; k < bins; k++) {
      let sum = 0;
      for (let b = 0; b < bands; b++) { expect(bm[k * bands + b]).toBeGreaterThanOrEqual(0); sum += bm[k * bands + b]; }
      expect(sum).toBeCloseTo(1, 6);
    }
    // X² = 1 + k/100: band means are exact at band centres, interpolation is exact between them.
    const X = new Float64Array(bins);
    for (let k = 0; k < bins; k++) X[k] = Math.sqrt(1e-3 * (1 + k / 100));
    const model = { ...smallModel(), bins, bands, analysis: a, synthesis: bm, id: 'x' } as CodecModel;
    const e = envelopeOf(model, X);
    const s = varianceFromEnvelope(model, e);
    for (let k = 10; k < bins - 10; k++) expect(s[k] / (X[k] * X[k])).toBeCloseTo(1, 4);
    // Flat at the edges: the first 10 bins take band 0's level.
    for (let k = 0; k < 10; k++) expect(s[k]).toBeCloseTo(Math.exp(e[0]), 9);
  });

  it('envelopeOf is the log band power with the documented floor', () => {
    const m = { ...smallModel(), id: 'x' } as CodecModel;
    const X = new Float64Array(40);
    expect(Array.from(envelopeOf(m, X))).toEqual(new Array(4).fill(Math.log(ENVELOPE_FLOOR)));
    for (let k = 0; k < 40; k++) X[k] = k < 10 ? 2 : 0.5;
    const e = envelopeOf(m, X);
    expect(e[0]).toBeCloseTo(Math.log(4 + ENVELOPE_FLOOR), 6);
    expect(e[3]).toBeCloseTo(Math.log(0.25 + ENVELOPE_FLOOR), 6);
    expect(() => envelopeOf(m, new Float64Array(39))).toThrow(RangeError);
  });
});

describe('model file format', () => {
  it('round-trips bit-exactly, with and without optional sections', () => {
    for (const opts of [{}, { card: false }, { entropy: true }, { stageBits: 1, stages: 1 }]) {
      const m = smallModel(opts);
      const bytes = serializeModel(m);
      const back = parseModel(bytes);
      expect(back.bins).toBe(m.bins);
      expect(back.bands).toBe(m.bands);
      expect(back.stageBits).toBe(m.stageBits);
      expect(back.stagesPerMode).toEqual(m.stagesPerMode);
      expect(Buffer.from(back.analysis.buffer).equals(Buffer.from(m.analysis.buffer))).toBe(true);
      expect(Buffer.from(back.synthesis.buffer).equals(Buffer.from(m.synthesis.buffer))).toBe(true);
      expect(back.codebooks.length).toBe(m.codebooks.length);
      back.codebooks.forEach((cb, i) => expect(Buffer.from(cb.buffer).equals(Buffer.from(m.codebooks[i].buffer))).toBe(true));
      expect(back.card).toEqual(m.card);
      expect(back.entropyModel?.kind).toBe(m.entropyModel?.kind);
      if (m.entropyModel) expect(Array.from(back.entropyModel!.params)).toEqual(Array.from(m.entropyModel.params));
      // Serializing the parsed model gives the same bytes, so the id is stable.
      const again = serializeModel(back);
      expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
      expect(back.id).toBe(modelIdOf(bytes));
      expect(back.id).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('id is the sha256 prefix of the bytes and changes with any content change', () => {
    const a = serializeModel(smallModel());
    const m2 = smallModel();
    m2.codebooks[0][0] += 1e-3;
    const b = serializeModel(m2);
    expect(modelIdOf(a)).toBe(modelIdOf(Uint8Array.from(a)));
    expect(modelIdOf(a)).not.toBe(modelIdOf(b));
    expect(modelIdOf(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea');
  });

  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('rejects every single-bit flip, every truncation and wrong magic with CorruptDataError', () => {
    const bytes = serializeModel(smallModel({ stageBits: 2, stages: 2, entropy: true }));
    const rnd = lcg(99);
    let flips = 0;
    for (let pos = 0; pos < bytes.length; pos++) {
      const c = Uint8Array.from(bytes);
      c[pos] ^= 1 << Math.floor(rnd() * 8);
      expect(() => parseModel(c)).toThrow(CorruptDataError);
      flips++;
    }
    expect(flips).toBe(bytes.length);
    for (let len = 0; len < bytes.length; len += 1) {
      expect(() => parseModel(bytes.subarray(0, len))).toThrow(CorruptDataError);
    }
    const wrong = Uint8Array.from(bytes);
    wrong.set(new TextEncoder().encode('RIFFWAVE'), 0);
    expect(() => parseModel(wrong)).toThrow(/wrong magic/);
    expect(() => parseModel(new Uint8Array(100_000))).toThrow(CorruptDataError);
  });

  it('rejects huge or inconsistent sizes with a valid checksum, without allocating them', () => {
    const base = serializeModel(smallModel({ stageBits: 2, stages: 2 }));
    const reseal = (b: Uint8Array): Uint8Array => {
      new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
      return b;
    };
    const withU32 = (at: number, v: number): Uint8Array => {
      const b = Uint8Array.from(base);
      new DataView(b.buffer).setUint32(at, v, true);
      return reseal(b);
    };
    // Header fields: bins@16, bands@20, stageBits@24, stageCount@28, modeCount@32, sectionCount@36.
    for (const [at, v] of [[16, 0xffffffff], [20, 100000], [24, 31], [28, 1000], [32, 0xfffffff], [36, 0x7fffffff], [28, 3], [16, 41]] as const) {
      expect(() => parseModel(withU32(at, v))).toThrow(CorruptDataError);
    }
    // First section's length field (after 3 modes × 8 bytes + 4-byte tag).
    const secLen = 40 + 3 * 8 + 4;
    for (const v of [0xfffffff0, 0, 4]) expect(() => parseModel(withU32(secLen, v))).toThrow(CorruptDataError);
    // A mode that asks for more stages than exist.
    expect(() => parseModel(withU32(44, 9))).toThrow(/stages/);
    // A NaN codebook value and a negative A entry, with a correct checksum.
    const nanAt = base.length - 4 - 4;
    const withNaN = Uint8Array.from(base);
    // The last section is the card; put NaN inside CBKS instead: find it by tag.
    const tagAt = Buffer.from(base).indexOf('CBKS');
    new DataView(withNaN.buffer).setFloat32(tagAt + 8, NaN, true);
    expect(() => parseModel(reseal(withNaN))).toThrow(/non-finite/);
    const aAt = Buffer.from(base).indexOf('AMAT');
    const neg = Uint8Array.from(base);
    new DataView(neg.buffer).setFloat32(aAt + 8, -1, true);
    expect(() => parseModel(reseal(neg))).toThrow(/≥ 0/);
    // Unknown critical section tag vs. unknown ancillary one.
    const crit = Uint8Array.from(base);
    crit.set(new TextEncoder().encode('ZZZZ'), Buffer.from(base).indexOf('card'));
    expect(() => parseModel(reseal(crit))).toThrow(/unknown critical section/);
    const anc = Uint8Array.from(base);
    anc.set(new TextEncoder().encode('zzzz'), Buffer.from(base).indexOf('card'));
    const parsed = parseModel(reseal(anc));
    expect(parsed.card).toBeUndefined();
    expect(nanAt).toBeGreaterThan(0);
  });

  it('serializeModel refuses an inconsistent model', () => {
    const m = smallModel();
    m.stagesPerMode = { '8000': 4 };
    expect(() => serializeModel(m)).toThrow(/stages/);
    const m2 = smallModel();
    m2.codebooks[1] = new Float32Array(3);
    expect(() => serializeModel(m2)).toThrow(/codebook 1/);
  });

  it('loadModel reads a folder or a file, and says clearly when it is missing or corrupt', () => {
    const dir = testTempDir('nsvq-model-');
    const bytes = serializeModel(smallModel());
    writeFileSync(path.join(dir, 'model.nsvqm'), bytes);
    expect(loadModel(dir).id).toBe(modelIdOf(bytes));
    expect(loadModel(path.join(dir, 'model.nsvqm')).id).toBe(modelIdOf(bytes));
    expect(() => loadModel(path.join(dir, 'nope'))).toThrow(UserError);
    expect(() => loadModel(path.join(dir, 'nope'))).toThrow(/model not found/);
    const bad = Uint8Array.from(bytes);
    bad[100] ^= 0x10;
    writeFileSync(path.join(dir, 'bad.nsvqm'), bad);
    expect(() => loadModel(path.join(dir, 'bad.nsvqm'))).toThrow(CorruptDataError);
  });
});

const SHIPPED = path.join(packageRoot(), 'codec', 'model.nsvqm');

describe.skipIf(!existsSync(SHIPPED))('shipped model', () => {
  it('loads, validates and has the codec dimensions and all six modes', () => {
    const m = loadModel();
    expect(m.bins).toBe(320);
    expect(m.bands).toBe(16);
    expect(m.stageBits).toBe(12);
    expect(m.codebooks.length).toBeGreaterThanOrEqual(4);
    for (const rate of ['8000', '9600', '13200', '16400', '24400', '32000']) {
      expect(m.stagesPerMode[rate]).toBeGreaterThanOrEqual(1);
      expect(m.stagesPerMode[rate]).toBeLessThanOrEqual(m.codebooks.length);
    }
    expect(m.card).toBeDefined();
  });
});
