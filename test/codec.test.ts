import { describe, expect, it } from 'vitest';
import { BITRATES, frameBits, parseBitrate } from '../src/coding/modes.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import { Encoder } from '../src/codec/encoder.js';
import { Decoder } from '../src/codec/decoder.js';
import { HEADER_BYTES, codedLength, readHeader } from '../src/coding/container.js';
import { resampledLength } from '../src/audio/resample.js';
import { FrameDecoder } from '../src/coding/frame-decoder.js';
import { FrameEncoder } from '../src/coding/frame-encoder.js';
import { analyzeSignal } from '../src/dsp/mdct-stream.js';
import { CorruptDataError, UserError } from '../src/errors.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';

const model = buildSyntheticModel();
const signal = syntheticSpeechLike(2.013, 11); // not a multiple of the hop

function snrDb(x: Float32Array, y: Float32Array): number {
  let sx = 0;
  let se = 0;
  for (let i = 0; i < x.length; i++) {
    sx += x[i] * x[i];
    se += (x[i] - y[i]) ** 2;
  }
  return 10 * Math.log10(sx / se);
}

/** Lag in [−40, 40] samples that maximises the cross-correlation (deg[n + lag] ~ ref[n]). */
function bestLag(ref: Float32Array, deg: Float32Array): number {
  let best = 0;
  let bestC = -Infinity;
  for (let lag = -40; lag <= 40; lag++) {
    let c = 0;
    for (let n = Math.max(0, -lag); n < ref.length && n + lag < deg.length; n++) c += ref[n] * deg[n + lag];
    if (c > bestC) {
      bestC = c;
      best = lag;
    }
  }
  return best;
}

describe('modes', () => {
  it('frame bits are the six EVS rates / 50', () => {
    expect(BITRATES.map(frameBits)).toEqual([160, 192, 264, 328, 488, 640]);
  });
  it('parses plain, k and kbps forms', () => {
    expect(parseBitrate('13200')).toBe(13200);
    expect(parseBitrate('13.2k')).toBe(13200);
    expect(parseBitrate('8k')).toBe(8000);
    expect(parseBitrate(' 24.4kbps ')).toBe(24400);
    expect(parseBitrate('9.6K')).toBe(9600);
  });
  it('rejects anything else with one line listing the valid values', () => {
    for (const bad of ['12000', '13.3k', '', 'fast', '-8000', '8000.5']) {
      expect(() => parseBitrate(bad)).toThrow(UserError);
    }
    expect(() => parseBitrate('12k')).toThrow(/8000, 9600, 13200, 16400, 24400, 32000/);
  });
});

describe('container lengths', () => {
  it('codedLength is the audio module resampledLength formula', () => {
    for (const rate of [8000, 11025, 16000, 22050, 44100, 48000, 96000]) {
      for (const n of [0, 1, 2, 3, 999, 44100, 100001, 123456789]) {
        expect(codedLength(n, rate)).toBe(resampledLength(n, rate, 16000));
      }
    }
  });
});

describe('codec round trip (synthetic model)', () => {
  const files = new Map<number, Uint8Array>();
  const decoded = new Map<number, Float32Array>();
  for (const b of BITRATES) {
    const file = encodeSpeech(model, signal, b, 22050);
    files.set(b, file);
    decoded.set(b, decodeSpeech(model, file).samples);
  }

  it('file size is exactly header + frames × frame bytes; header fields are right', () => {
    for (const b of BITRATES) {
      const file = files.get(b)!;
      const frames = Math.ceil(signal.length / 320) + 1;
      expect(file.length).toBe(HEADER_BYTES + frames * (frameBits(b) / 8));
      const { header } = readHeader(file);
      expect(header).toMatchObject({ bitrate: b, originalRate: 22050, frameCount: frames, modelId: model.id });
      expect(codedLength(header.originalLength, 22050)).toBe(signal.length);
    }
  });

  it('output has the input length and lag 0, and quality rises with the bitrate', () => {
    const snrs: number[] = [];
    for (const b of BITRATES) {
      const y = decoded.get(b)!;
      expect(y.length).toBe(signal.length);
      expect(bestLag(signal, y)).toBe(0);
      snrs.push(snrDb(signal, y));
    }
    expect(snrs[0]).toBeGreaterThan(0);
    expect(snrs[5]).toBeGreaterThan(snrs[0] + 3);
    expect(snrs[5]).toBeGreaterThan(5);
  });

  it('is deterministic: same input → identical bytes; same bytes → identical samples', () => {
    const again = encodeSpeech(model, signal, 13200, 22050);
    expect(Buffer.compare(Buffer.from(again), Buffer.from(files.get(13200)!))).toBe(0);
    const y2 = decodeSpeech(model, files.get(13200)!).samples;
    expect(Buffer.compare(Buffer.from(y2.buffer), Buffer.from(decoded.get(13200)!.buffer))).toBe(0);
  });

  it('streaming in odd chunk sizes gives the same bytes as one call', () => {
    const enc = new Encoder(model, 9600);
    const frames: Uint8Array[] = [];
    let pos = 0;
    let step = 1;
    while (pos < signal.length) {
      frames.push(...enc.push(signal.subarray(pos, pos + step)));
      pos += step;
      step = (step * 7 + 3) % 997;
    }
    frames.push(...enc.flush());
    const whole = files.get(9600)!;
    expect(frames.length).toBe(readHeader(whole).header.frameCount);
    const joined = Buffer.concat(frames.map((f) => Buffer.from(f)));
    expect(Buffer.compare(joined, Buffer.from(whole.subarray(HEADER_BYTES)))).toBe(0);
  });

  it('spends the frame: on average fewer than 3 bits per frame are left unused', () => {
    for (const b of BITRATES) {
      const file = files.get(b)!;
      const fd = new FrameDecoder(model, b);
      const fb = frameBits(b) / 8;
      const { header } = readHeader(file);
      const out = new Float64Array(320);
      let unused = 0;
      let coded = 0;
      for (let j = 0; j < header.frameCount; j++) {
        const frame = file.subarray(HEADER_BYTES + j * fb, HEADER_BYTES + (j + 1) * fb);
        fd.decode(frame, out);
        unused += fd.lastUnusedBits;
        coded++;
      }
      expect(unused / coded, `${b}`).toBeLessThan(3);
    }
  });

  it('refuses a stream made with another model, naming the model it needs', () => {
    const other = { ...model, id: 'ffffffffffffffff' };
    expect(() => decodeSpeech(other, files.get(8000)!)).toThrow(new RegExp(model.id));
  });

  it('handles silence, a tiny input, digital full-scale noise and NaN without failing', () => {
    const cases = [new Float32Array(0), new Float32Array(1), new Float32Array(5000), Float32Array.from({ length: 3000 }, (_, i) => (i % 2 ? 1 : -1)), Float32Array.from({ length: 700 }, (_, i) => (i === 5 ? Number.NaN : 0.1))];
    for (const x of cases) {
      for (const b of [8000, 32000] as const) {
        const { samples } = decodeSpeech(model, encodeSpeech(model, x, b));
        expect(samples.length).toBe(x.length);
        expect(samples.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('Decoder rejects a frame of the wrong size', () => {
    const dec = new Decoder(model, 8000);
    expect(() => dec.decodeFrame(new Uint8Array(19))).toThrow(CorruptDataError);
    expect(dec.decodeFrame(new Uint8Array(20)).length).toBe(320);
  });
});

describe('frame budget safety net', () => {
  it('truncates the coded bins when even the coarsest gain cannot fit, and the decoder follows', () => {
    // A model whose variance map B is ~0 makes every nonzero value very expensive: two loud
    // tones then cannot fit 160 bits at any gain, so frames fall back to truncation.
    const bad = { ...model, synthesis: new Float32Array(model.synthesis.length).fill(1e-12) };
    const x = Float32Array.from({ length: 1600 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000.3 * i) / 16000) + 0.3 * Math.sin((2 * Math.PI * 3100.7 * i) / 16000));
    const enc = new FrameEncoder(bad, 8000);
    const dec = new FrameDecoder(bad, 8000);
    enc.recordFields = true;
    dec.recordFields = true;
    const out = new Float64Array(320);
    let truncated = 0;
    for (const f of analyzeSignal(x)) {
      const bytes = enc.encode(f);
      expect(bytes.length).toBe(20);
      dec.decode(bytes, out);
      expect(dec.last!.codedBins).toBe(enc.last!.codedBins);
      expect(Array.from(dec.last!.q)).toEqual(Array.from(enc.last!.q));
      if (enc.last!.codedBins < 320) truncated++;
    }
    expect(truncated).toBeGreaterThan(3);
  });
});

describe('layering (DESIGN §5)', () => {
  it('encode/decode/info never import TensorFlow.js or training code', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const root = path.resolve(__dirname, '..');
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('@tensorflow')) bad.push(`${path.relative(root, file)} imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
          if (target.includes(`${path.sep}src${path.sep}train${path.sep}`)) bad.push(`${path.relative(root, file)} imports training code ${spec}`);
          visit(target);
        }
      }
    };
    for (const entry of ['src/codec/codec.ts', 'src/cli/commands/encode.ts', 'src/cli/commands/decode.ts', 'src/cli/commands/info.ts']) {
      visit(path.join(root, entry));
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(bad).toEqual([]);
  });
});
