/**
 * Metrics bench (`npm run bench:metrics`): seconds of audio processed per second for each
 * metric — alignment (findLag), pSNR, STOI, ESTOI — and for the whole scorePair, over the 42
 * pairs of shared/reference/pairs.tsv (16 kHz). Also reports the largest deviation from the
 * reference values, so a speed change that breaks accuracy shows up here too.
 * Each figure is the median of several rounds after a warm-up; the machine is shared, so
 * CPU-time rates (user+system of this process) are given beside wall-clock rates.
 * pystoi (about 100× real time on a typical machine) cannot be run here to compare in the
 * same run; the figures below are absolute.
 * Writes bench/results/metrics.json.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpeech } from '../src/audio/load.js';
import { applyLag, findLag } from '../src/eval/align.js';
import { scorePair } from '../src/eval/metrics.js';
import { psnr } from '../src/eval/psnr.js';
import { estoi, stoi } from '../src/eval/stoi.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const FS = 16000;
const ROUNDS = 5;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = process.env.NSVQ_SHARED_DIR ?? path.resolve(ROOT, '..', 'shared');
const REFERENCE_DIR = path.join(SHARED, 'reference');

interface Pair {
  ref: Float32Array;
  deg: Float32Array;
  aligned: { ref: Float32Array; deg: Float32Array };
  expected: { lag: number; stoiRaw: number; estoiRaw: number; stoi: number; estoi: number; psnr: number };
}

interface Rate {
  /** Median over rounds of audio seconds per wall-clock second. */
  audioSecondsPerSecond: number;
  /** Median over rounds of audio seconds per CPU second of this process. */
  audioSecondsPerCpuSecond: number;
  rounds: number[];
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(pairs: Pair[], body: (p: Pair) => void): Rate {
  const audio = pairs.reduce((s, p) => s + p.ref.length / FS, 0);
  for (const p of pairs.slice(0, 3)) body(p); // warm-up (JIT)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const p of pairs) body(p);
    const t = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    wall.push(audio / t);
    cpu.push(audio / ((c.user + c.system) / 1e6));
  }
  return { audioSecondsPerSecond: median(wall), audioSecondsPerCpuSecond: median(cpu), rounds: wall };
}

async function loadPairs(): Promise<Pair[]> {
  const lines = readFileSync(path.join(REFERENCE_DIR, 'pairs.tsv'), 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  const col = (row: string[], name: string): string => row[head.indexOf(name)];
  const cache = new Map<string, Float32Array>();
  const load = async (rel: string): Promise<Float32Array> => {
    let s = cache.get(rel);
    if (!s) {
      s = (await loadSpeech(path.join(REFERENCE_DIR, rel), FS)).samples;
      cache.set(rel, s);
    }
    return s;
  };
  const pairs: Pair[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    const ref = await load(col(f, 'reference'));
    const deg = await load(col(f, 'degraded'));
    const lag = Number(col(f, 'lag'));
    pairs.push({
      ref,
      deg,
      aligned: applyLag(ref, deg, lag),
      expected: {
        lag,
        stoiRaw: Number(col(f, 'stoi_raw')),
        estoiRaw: Number(col(f, 'estoi_raw')),
        stoi: Number(col(f, 'stoi_aligned')),
        estoi: Number(col(f, 'estoi_aligned')),
        psnr: Number(col(f, 'psnr_db')),
      },
    });
  }
  return pairs;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(REFERENCE_DIR, 'pairs.tsv'))) {
    process.stderr.write(`bench:metrics: ${REFERENCE_DIR}/pairs.tsv not found (set NSVQ_SHARED_DIR); nothing to measure\n`);
    process.exitCode = 1;
    return;
  }
  const pairs = await loadPairs();
  const audioSeconds = pairs.reduce((s, p) => s + p.ref.length / FS, 0);

  // Accuracy against the reference values.
  let lagMismatches = 0;
  const dev = { stoiRaw: 0, estoiRaw: 0, stoi: 0, estoi: 0, psnrDb: 0 };
  for (const p of pairs) {
    const m = scorePair(p.ref, p.deg, FS);
    if (m.lag !== p.expected.lag) lagMismatches++;
    dev.stoi = Math.max(dev.stoi, Math.abs(m.stoi - p.expected.stoi));
    dev.estoi = Math.max(dev.estoi, Math.abs(m.estoi - p.expected.estoi));
    dev.psnrDb = Math.max(dev.psnrDb, Math.abs(m.psnr - p.expected.psnr));
    dev.stoiRaw = Math.max(dev.stoiRaw, Math.abs(stoi(p.ref, p.deg, FS) - p.expected.stoiRaw));
    dev.estoiRaw = Math.max(dev.estoiRaw, Math.abs(estoi(p.ref, p.deg, FS) - p.expected.estoiRaw));
  }

  let sink = 0;
  const rates = {
    alignment: measure(pairs, (p) => (sink += findLag(p.ref, p.deg, FS))),
    psnr: measure(pairs, (p) => (sink += psnr(p.aligned.ref, p.aligned.deg))),
    stoi: measure(pairs, (p) => (sink += stoi(p.aligned.ref, p.aligned.deg, FS))),
    estoi: measure(pairs, (p) => (sink += estoi(p.aligned.ref, p.aligned.deg, FS))),
    scorePair: measure(pairs, (p) => (sink += scorePair(p.ref, p.deg, FS).stoi)),
  };
  if (!Number.isFinite(sink)) throw new Error('non-finite metric');

  process.stdout.write(`metrics bench: ${pairs.length} pairs, ${audioSeconds.toFixed(1)} s of 16 kHz audio per round, ${ROUNDS} rounds\n`);
  process.stdout.write('metric       audio s / wall s   audio s / CPU s\n');
  for (const [name, r] of Object.entries(rates)) {
    process.stdout.write(`${name.padEnd(12)} ${r.audioSecondsPerSecond.toFixed(0).padStart(14)}×   ${r.audioSecondsPerCpuSecond.toFixed(0).padStart(13)}×\n`);
  }
  process.stdout.write(
    `max |deviation| vs pairs.tsv: stoi_raw ${dev.stoiRaw.toExponential(2)}, estoi_raw ${dev.estoiRaw.toExponential(2)}, ` +
      `stoi ${dev.stoi.toExponential(2)}, estoi ${dev.estoi.toExponential(2)}, pSNR ${dev.psnrDb.toExponential(2)} dB, ` +
      `lag mismatches ${lagMismatches}\n`,
  );
  process.stdout.write('(pystoi, ~100× real time elsewhere, cannot run on this machine for a same-run comparison)\n');

  const out = {
    bench: 'metrics',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadavg: os.loadavg(),
    pairs: pairs.length,
    audioSecondsPerRound: audioSeconds,
    rounds: ROUNDS,
    unit: 'seconds of audio processed per second (real-time factor)',
    rates,
    maxDeviation: dev,
    lagMismatches,
    note: 'pystoi (~100x real time) is not installed here, so no same-run comparison',
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, 'metrics.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(dir, 'metrics.json'))}\n`);
}

await main();
