/**
 * A small, deterministic stand-in model and a speech-like test signal, so that codec tests and
 * benchmarks run without ../shared and without the shipped model. Not for real use: the
 * stage-0 codebook is drawn from envelopes of the synthetic signal, later stages are Gaussian.
 */
import { analyzeSignal } from '../dsp/mdct-stream.js';
import { Rng } from '../vq/random.js';
import { envelopeOf, modelIdOf, parseModel, serializeModel, type CodecModel } from './codec-model.js';
import { defaultAnalysisMatrix, defaultSynthesisMatrix } from './default-envelope.js';

const SAMPLE_RATE = 16000;

/**
 * Speech-like audio: alternating voiced segments (harmonics of a gliding f0 with a random
 * formant-like envelope) and unvoiced segments (noise with a random spectral tilt), at levels
 * between −40 and −12 dBFS, with short pauses.
 */
export function syntheticSpeechLike(seconds: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  const n = Math.round(seconds * SAMPLE_RATE);
  const out = new Float32Array(n);
  let pos = 0;
  while (pos < n) {
    const len = Math.min(n - pos, Math.round((0.08 + 0.25 * rng.uniform()) * SAMPLE_RATE));
    const kind = rng.uniform();
    const level = 10 ** ((-40 + 28 * rng.uniform()) / 20);
    if (kind < 0.55) {
      const f0a = 90 + 160 * rng.uniform();
      const f0b = f0a * (0.85 + 0.3 * rng.uniform());
      const formants = [300 + 600 * rng.uniform(), 900 + 1500 * rng.uniform(), 2200 + 1500 * rng.uniform()];
      let phase = 0;
      const nh = 40;
      const amps = new Float64Array(nh);
      for (let h = 1; h <= nh; h++) amps[h - 1] = 1 / h;
      for (let i = 0; i < len; i++) {
        const f0 = f0a + ((f0b - f0a) * i) / len;
        phase += (2 * Math.PI * f0) / SAMPLE_RATE;
        let v = 0;
        for (let h = 1; h <= nh && h * f0 < 7800; h++) {
          const f = h * f0;
          let g = 0.05;
          for (const fm of formants) g += 1 / (1 + ((f - fm) / 150) ** 2);
          v += amps[h - 1] * g * Math.sin(h * phase);
        }
        const ramp = Math.min(1, i / 160, (len - i) / 160);
        out[pos + i] = level * 0.5 * v * ramp;
      }
    } else if (kind < 0.85) {
      const tilt = 0.9 * (2 * rng.uniform() - 1);
      let prev = 0;
      for (let i = 0; i < len; i++) {
        const w = rng.normal();
        const v = w - tilt * prev;
        prev = w;
        const ramp = Math.min(1, i / 160, (len - i) / 160);
        out[pos + i] = level * 0.3 * v * ramp;
      }
    } else {
      for (let i = 0; i < len; i++) out[pos + i] = 1e-4 * rng.normal();
    }
    pos += len;
  }
  return out;
}

let cached: CodecModel | null = null;

/**
 * A valid model (320 bins, 16 bands, 4 stages of 12 bits, stages 2/2/3/3/4/4 per mode) built
 * deterministically in well under a second. Cached per process.
 */
export function buildSyntheticModel(): CodecModel {
  if (cached) return cached;
  const bins = 320;
  const bands = 16;
  const stageBits = 12;
  const size = 1 << stageBits;
  const rng = new Rng(12345);
  const analysis = defaultAnalysisMatrix(bins, bands);
  const synthesis = defaultSynthesisMatrix(bins, bands);
  const draft = { id: '0'.repeat(16), bins, bands, analysis, synthesis, stageBits, codebooks: [], stagesPerMode: {} } as CodecModel;
  const frames = analyzeSignal(syntheticSpeechLike(8, 7));
  const envs = frames.map((f) => envelopeOf(draft, f));
  const codebooks: Float32Array[] = [];
  const cb0 = new Float32Array(size * bands);
  for (let c = 0; c < size; c++) {
    const e = envs[rng.int(envs.length)];
    for (let d = 0; d < bands; d++) cb0[c * bands + d] = e[d] + 0.3 * rng.normal();
  }
  codebooks.push(cb0);
  for (let t = 1; t < 4; t++) {
    const cb = new Float32Array(size * bands);
    const sigma = 0.6 * 0.6 ** t;
    for (let i = 0; i < cb.length; i++) cb[i] = sigma * rng.normal();
    codebooks.push(cb);
  }
  const stagesPerMode = { '8000': 2, '9600': 2, '13200': 3, '16400': 3, '24400': 4, '32000': 4 };
  const bytes = serializeModel({ bins, bands, analysis, synthesis, stageBits, codebooks, stagesPerMode, card: { kind: 'synthetic test model' } });
  cached = parseModel(bytes);
  if (cached.id !== modelIdOf(bytes)) throw new Error('synthetic model id mismatch');
  return cached;
}
