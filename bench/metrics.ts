/**
 * Metrics bench (`npm run bench:metrics`): seconds of audio processed per second for each
 * metric — alignment (findLag), pSNR, STOI, ESTOI, WB-PESQ — and for the whole scorePair, over
 * the 42 pairs of shared/reference/pairs.tsv (16 kHz), plus WB-PESQ on one 15 s pair (a
 * test-other file and its 13.2 kbit/s decoding by the shipped model), the speed case.
 * Also reports the largest deviation from the reference values (pairs.tsv, and the 121 pairs
 * of reference/pesq/pesq.tsv for PESQ), so a speed change that breaks accuracy shows up here too.
 * Each figure is the median of several rounds after a warm-up; the machine is shared, so
 * CPU-time rates (user+system of this process) are given beside wall-clock rates.
 * pystoi itself is not installed here (and cannot be), so it cannot be timed in the same run.
 * As the nearest same-run baseline, when python3 with numpy and scipy is available the bench
 * also times a NumPy/SciPy STOI written the way the reference implementation computes it
 * (scipy resample_poly with the Octave window, per-frame rfft, band matrix product) on the
 * same files, checks that it reproduces pairs.tsv, and reports our STOI speed as a ratio to it.
 * Writes bench/results/metrics.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpeech } from '../src/audio/load.js';
import { decodeAudioFile } from '../src/audio/decode.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import { loadModel } from '../src/model/codec-model.js';
import { pesqWb } from '../src/eval/pesq.js';
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
  expected: { lag: number; stoiRaw: number; estoiRaw: number; stoi: number; estoi: number; psnr: number; pesq: number };
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
  // Warm-up (JIT): three calls, whatever the number of pairs.
  for (let i = 0; i < 3; i++) body(pairs[i % pairs.length]);
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
        pesq: Number(col(f, 'pesq_wb')),
      },
    });
  }
  return pairs;
}

/** A test-other file of about 15 s and its decoding at 13.2 kbit/s by the shipped model. */
async function longPair(): Promise<(Pair & { name: string }) | null> {
  const rel = 'LibriSpeech/test-other/1688/142285/1688-142285-0000.flac';
  const file = path.join(SHARED, 'speech', rel);
  if (!existsSync(file)) return null;
  const ref = (await loadSpeech(file, FS)).samples;
  const model = loadModel();
  const deg = decodeSpeech(model, encodeSpeech(model, ref, 13200)).samples;
  return {
    name: `${rel} at 13.2 kbit/s`,
    ref,
    deg,
    aligned: { ref, deg },
    expected: { lag: 0, stoiRaw: NaN, estoiRaw: NaN, stoi: NaN, estoi: NaN, psnr: NaN, pesq: NaN },
  };
}

/** Largest and mean |ours − reference| over reference/pesq/pesq.tsv (pairs it refuses left out). */
async function pesqTableDeviation(): Promise<{ pairs: number; max: number; mean: number } | null> {
  const dir = path.join(REFERENCE_DIR, 'pesq');
  if (!existsSync(path.join(dir, 'pesq.tsv'))) return null;
  const lines = readFileSync(path.join(dir, 'pesq.tsv'), 'utf8').trim().split('\n').slice(1);
  let max = 0;
  let sum = 0;
  let n = 0;
  for (const line of lines) {
    const [r, d, v] = line.split('\t');
    if (v === 'nan') continue;
    const ref = (await decodeAudioFile(path.join(dir, r))).channels[0];
    const deg = (await decodeAudioFile(path.join(dir, d))).channels[0];
    const diff = Math.abs(pesqWb(ref, deg, FS) - Number(v));
    max = Math.max(max, diff);
    sum += diff;
    n++;
  }
  return { pairs: n, max, mean: sum / n };
}

const NUMPY_BASELINE = String.raw`
import sys, time, json, numpy as np
from scipy.signal import resample_poly
from scipy.io import wavfile
EPS = np.finfo(float).eps
def octave_window(p, q):
    fc = 1 / (2 * max(p, q)); L = int(np.ceil(52 / (28.714 * fc / 10))); t = np.arange(-L, L + 1)
    h = np.kaiser(2 * L + 1, 0.1102 * (60 - 8.7)) * 2 * p * fc * np.sinc(2 * fc * t)
    return h / h.sum()
H = octave_window(5, 8)
W = np.hanning(258)[1:-1]
f = np.linspace(0, 10000, 513)[:257]; k = np.arange(15.)
OBM = np.zeros((15, 257))
for i in range(15):
    OBM[i, np.argmin((f - 150 * 2 ** ((2 * k[i] - 1) / 6)) ** 2):np.argmin((f - 150 * 2 ** ((2 * k[i] + 1) / 6)) ** 2)] = 1
def frames(x):
    return np.array([W * x[i:i + 256] for i in range(0, len(x) - 256, 128)])
def ola(F):
    out = np.zeros((len(F) - 1) * 128 + 256)
    for i, fr in enumerate(F): out[i * 128:i * 128 + 256] += fr
    return out
def stoi(x, y):
    x = resample_poly(x, 10000, 16000, window=H); y = resample_poly(y, 10000, 16000, window=H)
    X = frames(x); Y = frames(y); e = 20 * np.log10(np.linalg.norm(X, axis=1) + EPS); m = (e.max() - 40 - e) < 0
    x = ola(X[m]); y = ola(Y[m])
    xs = np.array([np.fft.rfft(fr, 512) for fr in frames(x)]).T; ys = np.array([np.fft.rfft(fr, 512) for fr in frames(y)]).T
    xt = np.sqrt(OBM @ np.abs(xs) ** 2); yt = np.sqrt(OBM @ np.abs(ys) ** 2)
    xg = np.array([xt[:, j - 30:j] for j in range(30, xt.shape[1] + 1)]); yg = np.array([yt[:, j - 30:j] for j in range(30, xt.shape[1] + 1)])
    a = np.linalg.norm(xg, axis=2, keepdims=True) / (np.linalg.norm(yg, axis=2, keepdims=True) + EPS)
    yp = np.minimum(yg * a, xg * (1 + 10 ** (15 / 20)))
    yp = yp - yp.mean(2, keepdims=True); xg = xg - xg.mean(2, keepdims=True)
    yp /= np.linalg.norm(yp, axis=2, keepdims=True) + EPS; xg /= np.linalg.norm(xg, axis=2, keepdims=True) + EPS
    return np.sum(yp * xg) / (xg.shape[0] * xg.shape[1])
ref_dir = sys.argv[1]; rounds = int(sys.argv[2])
rows = [l.rstrip('\n').split('\t') for l in open(ref_dir + '/pairs.tsv')]
head = rows[0]; rows = rows[1:]
rd = lambda p: wavfile.read(ref_dir + '/' + p)[1].astype(np.float64) / 32768
pairs = [(rd(r[head.index('reference')]), rd(r[head.index('degraded')]), float(r[head.index('stoi_raw')])) for r in rows]
audio = sum(len(x) for x, _, _ in pairs) / 16000
dev = max(abs(stoi(x, y) - v) for x, y, v in pairs)
wall = []; cpu = []
for _ in range(rounds):
    t0 = time.perf_counter(); c0 = time.process_time()
    for x, y, _ in pairs: stoi(x, y)
    wall.append(audio / (time.perf_counter() - t0)); cpu.append(audio / (time.process_time() - c0))
print(json.dumps({'wall': sorted(wall)[len(wall) // 2], 'cpu': sorted(cpu)[len(cpu) // 2], 'maxDeviation': dev}))
`;

interface Baseline {
  audioSecondsPerSecond: number;
  audioSecondsPerCpuSecond: number;
  maxDeviationStoiRaw: number;
}

/** Time the NumPy/SciPy STOI on the same pairs; undefined when python3/numpy/scipy are missing. */
function numpyStoiBaseline(rounds: number): Baseline | undefined {
  const r = spawnSync('python3', ['-c', NUMPY_BASELINE, REFERENCE_DIR, String(rounds)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !r.stdout) {
    process.stderr.write(`bench:metrics: NumPy STOI baseline unavailable (${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()})\n`);
    return undefined;
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { wall: number; cpu: number; maxDeviation: number };
  return { audioSecondsPerSecond: j.wall, audioSecondsPerCpuSecond: j.cpu, maxDeviationStoiRaw: j.maxDeviation };
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
  const dev = { stoiRaw: 0, estoiRaw: 0, stoi: 0, estoi: 0, psnrDb: 0, pesq: 0 };
  for (const p of pairs) {
    const m = scorePair(p.ref, p.deg, FS);
    if (m.lag !== p.expected.lag) lagMismatches++;
    dev.stoi = Math.max(dev.stoi, Math.abs(m.stoi - p.expected.stoi));
    dev.estoi = Math.max(dev.estoi, Math.abs(m.estoi - p.expected.estoi));
    dev.psnrDb = Math.max(dev.psnrDb, Math.abs(m.psnr - p.expected.psnr));
    dev.pesq = Math.max(dev.pesq, Math.abs(m.pesq - p.expected.pesq));
    dev.stoiRaw = Math.max(dev.stoiRaw, Math.abs(stoi(p.ref, p.deg, FS) - p.expected.stoiRaw));
    dev.estoiRaw = Math.max(dev.estoiRaw, Math.abs(estoi(p.ref, p.deg, FS) - p.expected.estoiRaw));
  }

  let sink = 0;
  const rates = {
    alignment: measure(pairs, (p) => (sink += findLag(p.ref, p.deg, FS))),
    psnr: measure(pairs, (p) => (sink += psnr(p.aligned.ref, p.aligned.deg))),
    stoi: measure(pairs, (p) => (sink += stoi(p.aligned.ref, p.aligned.deg, FS))),
    estoi: measure(pairs, (p) => (sink += estoi(p.aligned.ref, p.aligned.deg, FS))),
    pesq: measure(pairs, (p) => (sink += pesqWb(p.ref, p.deg, FS))),
    scorePair: measure(pairs, (p) => (sink += scorePair(p.ref, p.deg, FS).stoi)),
  };
  const long = await longPair();
  const pesq15s = long ? measure([long], (p) => (sink += pesqWb(p.ref, p.deg, FS))) : null;
  const pesqTable = await pesqTableDeviation();
  if (!Number.isFinite(sink)) throw new Error('non-finite metric');
  const baseline = numpyStoiBaseline(3);

  process.stdout.write(`metrics bench: ${pairs.length} pairs, ${audioSeconds.toFixed(1)} s of 16 kHz audio per round, ${ROUNDS} rounds\n`);
  process.stdout.write('metric       audio s / wall s   audio s / CPU s\n');
  for (const [name, r] of Object.entries(rates)) {
    process.stdout.write(`${name.padEnd(12)} ${r.audioSecondsPerSecond.toFixed(0).padStart(14)}×   ${r.audioSecondsPerCpuSecond.toFixed(0).padStart(13)}×\n`);
  }
  if (long && pesq15s) {
    process.stdout.write(
      `WB-PESQ on one ${(long.ref.length / FS).toFixed(1)} s pair (${long.name}): ${pesq15s.audioSecondsPerSecond.toFixed(0)}× wall, ` +
        `${pesq15s.audioSecondsPerCpuSecond.toFixed(0)}× CPU (aim ≥ 100×; the ITU-T C reference is quoted at ~95× as a whole process ` +
        `on these machines: it is not installable here, so not timed in this run)\n`,
    );
  }
  process.stdout.write(
    `max |deviation| vs pairs.tsv: stoi_raw ${dev.stoiRaw.toExponential(2)}, estoi_raw ${dev.estoiRaw.toExponential(2)}, ` +
      `stoi ${dev.stoi.toExponential(2)}, estoi ${dev.estoi.toExponential(2)}, pSNR ${dev.psnrDb.toExponential(2)} dB, ` +
      `WB-PESQ ${dev.pesq.toExponential(2)}, lag mismatches ${lagMismatches}\n`,
  );
  if (pesqTable) {
    process.stdout.write(
      `WB-PESQ vs reference/pesq/pesq.tsv (${pesqTable.pairs} pairs): max |deviation| ${pesqTable.max.toExponential(2)}, ` +
        `mean ${pesqTable.mean.toExponential(2)}\n`,
    );
  }
  if (baseline) {
    process.stdout.write(
      `NumPy/SciPy STOI baseline (same files, same run; pystoi itself is not installable here): ` +
        `${baseline.audioSecondsPerSecond.toFixed(0)}× wall, ${baseline.audioSecondsPerCpuSecond.toFixed(0)}× CPU, ` +
        `max |stoi_raw deviation| ${baseline.maxDeviationStoiRaw.toExponential(2)}\n` +
        `our STOI vs baseline: ${(rates.stoi.audioSecondsPerSecond / baseline.audioSecondsPerSecond).toFixed(2)}× wall, ` +
        `${(rates.stoi.audioSecondsPerCpuSecond / baseline.audioSecondsPerCpuSecond).toFixed(2)}× CPU\n`,
    );
  }
  process.stdout.write('(pystoi is quoted at ~100× real time elsewhere; it cannot be run here for a same-run comparison)\n');

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
    pesq15s: long && pesq15s ? { pair: long.name, seconds: long.ref.length / FS, ...pesq15s } : null,
    pesqReferenceTable: pesqTable,
    maxDeviation: dev,
    lagMismatches,
    numpyStoiBaseline: baseline ?? null,
    stoiSpeedupVsNumpyBaseline: baseline
      ? {
          wall: rates.stoi.audioSecondsPerSecond / baseline.audioSecondsPerSecond,
          cpu: rates.stoi.audioSecondsPerCpuSecond / baseline.audioSecondsPerCpuSecond,
        }
      : null,
    note: 'pystoi (~100x real time elsewhere) is not installed here; the NumPy/SciPy baseline computes STOI the same way on the same files in the same run',
  };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, 'metrics.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(dir, 'metrics.json'))}\n`);
}

await main();
