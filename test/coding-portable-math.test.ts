/**
 * The decoder's symbol decisions must not depend on the engine's Math.exp/log/cos/… (issue 5
 * "Determinism"; audit in docs/bitstream.md). These tests re-import the codec into a
 * fresh module graph while those Math functions are perturbed, so that module-level tables
 * (twiddles, lag window, …) and per-frame calls both see the perturbed versions, and compare
 * with a normal run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bitrate } from '../src/coding/modes.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import type { FrameFields } from '../src/coding/frame-shape.js';
import { readHeader } from '../src/coding/container.js';
import { type CodecModel, loadModel } from '../src/model/codec-model.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';

type CodecModule = typeof import('../src/codec/codec.js');
type DecoderModule = typeof import('../src/codec/decoder.js');

const NAMES = ['exp', 'log', 'log2', 'log10', 'log1p', 'expm1', 'cos', 'sin', 'tan', 'pow'] as const;
type Perturbed = (typeof NAMES)[number];

/** Replace the Math functions by f(x)·(1 + rel); returns the function that restores them. */
function perturbMath(rel: number): () => void {
  const saved = new Map<Perturbed, (...a: number[]) => number>();
  const m = Math as unknown as Record<Perturbed, (...a: number[]) => number>;
  for (const name of NAMES) {
    const f = m[name];
    saved.set(name, f);
    m[name] = (...a: number[]) => f(...a) * (1 + rel);
  }
  return () => {
    for (const [name, f] of saved) m[name] = f;
  };
}

/** The codec and decoder modules loaded afresh while Math is perturbed by `rel`. */
async function withPerturbedCodec<T>(rel: number, run: (codec: CodecModule, dec: DecoderModule) => T): Promise<T> {
  const restore = perturbMath(rel);
  try {
    vi.resetModules();
    const codec = (await import('../src/codec/codec.js')) as CodecModule;
    const dec = (await import('../src/codec/decoder.js')) as DecoderModule;
    return run(codec, dec);
  } finally {
    restore();
    vi.resetModules();
  }
}

/** Every frame's decoded fields (stage indices, gain, comb, coded bins, quantized values). */
function decodedFields(D: DecoderModule['Decoder'], model: CodecModel, file: Uint8Array): FrameFields[] {
  const { header, headerBytes } = readHeader(file);
  const d = new D(model, header.bitrate);
  d.frameDecoder.recordFields = true;
  const out: FrameFields[] = [];
  for (let p = headerBytes; p + d.frameBytes <= file.length; p += d.frameBytes) {
    d.decodeFrame(file.subarray(p, p + d.frameBytes));
    out.push(d.frameDecoder.last!);
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const models: [string, () => CodecModel][] = [
  ['shipped model (dense B, learned θ)', () => loadModel()],
  ['synthetic model (sparse B)', () => buildSyntheticModel()],
];
const RATES: Bitrate[] = [8000, 24400];

afterEach(() => vi.resetModules());

describe.each(models)('codec symbol path with perturbed Math.exp/log/cos/sin/pow: %s', (_name, makeModel) => {
  const model = makeModel();
  const signal = syntheticSpeechLike(1.2, 3);

  it.each(RATES)('decodes the same fields at %i bit/s with every transcendental off by 0.1%%', async (bitrate) => {
    const { Decoder } = await import('../src/codec/decoder.js');
    const bytes = encodeSpeech(model, signal, bitrate);
    const normal = decodedFields(Decoder, model, bytes);
    const normalSamples = decodeSpeech(model, bytes).samples;
    const { fields, samples } = await withPerturbedCodec(1e-3, (codec, dec) => ({
      fields: decodedFields(dec.Decoder, model, bytes),
      samples: codec.decodeSpeech(model, bytes).samples,
    }));
    expect(fields.length).toBe(normal.length);
    for (let j = 0; j < normal.length; j++) {
      const a = normal[j];
      const b = fields[j];
      expect([b.gainIndex, b.combLag, b.codedBins, b.refinements, ...b.indices]).toEqual([a.gainIndex, a.combLag, a.codedBins, a.refinements, ...a.indices]);
      expect(Array.from(b.q)).toEqual(Array.from(a.q));
    }
    // Control: the perturbation did reach the output path, which may keep Math.* (IMDCT,
    // noise-fill level): the samples move a little, but only by a few times the perturbation.
    let peak = 0;
    for (const v of normalSamples) peak = Math.max(peak, Math.abs(v));
    const moved = maxAbsDiff(samples, normalSamples);
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(3e-2 * peak); // ~0.1% through a few factors (window, MDCT, fill)
  });

  it.each(RATES)('encodes the same bytes and decodes the same samples at %i bit/s with the last bit perturbed', async (bitrate) => {
    const bytes = encodeSpeech(model, signal, bitrate);
    const samples = decodeSpeech(model, bytes).samples;
    const r = await withPerturbedCodec(2 ** -52, (codec) => {
      const b = codec.encodeSpeech(model, signal, bitrate);
      return { bytes: b, samples: codec.decodeSpeech(model, b).samples };
    });
    expect(Buffer.from(r.bytes).equals(Buffer.from(bytes))).toBe(true);
    // Output values may use Math.* (audit): equal to within float32 rounding of the output.
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    expect(maxAbsDiff(r.samples, samples)).toBeLessThanOrEqual(1e-6 * peak);
  });
});
