/**
 * Codec speed bench (`npm run bench:codec`): encode and decode real-time factors per mode,
 * single-threaded, on one test-other file (or a generated speech-like signal when ../shared is
 * absent), with the shipped model (or the synthetic stand-in when none is shipped yet).
 * Each figure is the median of ROUNDS timed runs after a warm-up of every mode; both wall-clock and
 * process-CPU-time factors are reported, since other jobs share the machine, plus the best
 * round's CPU-time factor (least disturbed by other jobs). Records whether the envelope search
 * ran in its WebAssembly SIMD kernel.
 * Writes bench/results/codec.json.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpeech } from '../src/audio/load.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import { BITRATES } from '../src/coding/modes.js';
import { loadModel, modelFilePath, type CodecModel } from '../src/model/codec-model.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import { NearestSearcher } from '../src/model/msvq-search.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const ROUNDS = 5;
const WARM_UP_PASSES = 2;
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const shared = process.env.NSVQ_SHARED_DIR ?? path.resolve(repo, '..', 'shared');

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function firstFlac(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const entries = readdirSync(dir).sort();
  for (const e of entries) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) {
      const f = firstFlac(p);
      if (f) return f;
    } else if (e.endsWith('.flac')) return p;
  }
  return null;
}

interface Timing {
  wall: number;
  cpu: number;
}

function time(fn: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

async function main(): Promise<void> {
  let model: CodecModel;
  let modelSource: string;
  if (existsSync(modelFilePath())) {
    model = loadModel();
    modelSource = 'shipped codec/model.nsvqm';
  } else {
    model = buildSyntheticModel();
    modelSource = 'synthetic stand-in (no shipped model yet)';
  }
  const file = firstFlac(path.join(shared, 'speech', 'LibriSpeech', 'test-other'));
  const signal = file ? (await loadSpeech(file)).samples : syntheticSpeechLike(20, 1);
  const seconds = signal.length / 16000;
  const input = file ? path.relative(shared, file) : 'synthetic speech-like signal, 20 s';
  console.log(`codec bench: ${input} (${seconds.toFixed(1)} s), model ${model.id} (${modelSource}), ${ROUNDS} rounds`);
  const envelopeSearch = new NearestSearcher(model.codebooks[0], 1 << model.stageBits, model.bands).usesWasm ? 'wasm-simd' : 'js';
  console.log(`envelope search: ${envelopeSearch}`);
  console.log('mode   | encode ×RT (wall / cpu, best cpu) | decode ×RT (wall / cpu, best cpu)');
  const modes: Record<string, unknown> = {};
  // Warm every mode up before timing any: most encoder and decoder code is shared between modes,
  // and with a per-mode warm-up the first mode timed still paid for the JIT settling (its decode
  // came out ~1.3x slower than when timed after the others). Start-up is bench:cli's measure.
  for (let pass = 0; pass < WARM_UP_PASSES; pass++) {
    for (const b of BITRATES) decodeSpeech(model, encodeSpeech(model, signal, b));
  }
  for (const b of BITRATES) {
    let bytes = encodeSpeech(model, signal, b);
    const enc: Timing[] = [];
    const dec: Timing[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      enc.push(time(() => {
        bytes = encodeSpeech(model, signal, b);
      }));
      dec.push(time(() => {
        decodeSpeech(model, bytes);
      }));
    }
    const rt = (ts: Timing[], k: 'wall' | 'cpu') => seconds / median(ts.map((t) => t[k]));
    const best = (ts: Timing[]) => seconds / Math.min(...ts.map((t) => t.cpu));
    const m = {
      encodeRealTime: rt(enc, 'wall'),
      encodeRealTimeCpu: rt(enc, 'cpu'),
      decodeRealTime: rt(dec, 'wall'),
      decodeRealTimeCpu: rt(dec, 'cpu'),
      encodeRealTimeBestCpu: best(enc),
      decodeRealTimeBestCpu: best(dec),
      encodeRounds: enc.map((t) => seconds / t.wall),
      decodeRounds: dec.map((t) => seconds / t.wall),
      bytes: bytes.length,
    };
    modes[String(b)] = m;
    console.log(
      `${String(b).padEnd(6)} | ${m.encodeRealTime.toFixed(0).padStart(6)} / ${m.encodeRealTimeCpu.toFixed(0)}, ${m.encodeRealTimeBestCpu.toFixed(0).padEnd(12)}    | ` +
        `${m.decodeRealTime.toFixed(0).padStart(6)} / ${m.decodeRealTimeCpu.toFixed(0)}, ${m.decodeRealTimeBestCpu.toFixed(0)}`,
    );
  }
  const result = {
    bench: 'codec',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    loadAverage: os.loadavg(),
    input,
    seconds,
    modelId: model.id,
    modelSource,
    rounds: ROUNDS,
    warmUp: `${WARM_UP_PASSES} encode+decode passes over every mode before any timing`,
    envelopeSearch,
    note: 'real-time factor = audio seconds / processing seconds, single thread; median of rounds (…BestCpu: best round, CPU time)',
    modes,
  };
  const outDir = path.join(repo, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  await writeFileAtomic(path.join(outDir, 'codec.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'codec.json'))}`);
}

await main();
