/**
 * The NSVQ paper's toy study (§IV third scenario, Table 2, Fig. 4) on our code:
 * NSVQ (with codebook replacement), STE (β = 0.25, no replacement) and mini-batch k-means
 * (Sculley, with scikit-learn-style reassignment) quantize blobs, circles, moons and swiss-roll
 * (src/vq/toy-data.ts) at 6, 8, 10 and 12 bits, 5 seeds each. Codebooks start from data samples
 * plus N(0, 1) noise, the same start for all methods of a (dataset, seed, bits). The gradient
 * methods use Adam, lr 1e-3.
 *
 * Newer estimators (issue 13, --methods): DiVeQ (with NSVQ's codebook replacement, as the
 * authors' DiVeQ replaces unused codewords), SF-DiVeQ (no replacement, as in the reference) and
 * the rotation trick (β = 0.25, no replacement, like STE). MSE and dead codewords are measured
 * with the nearest codeword for every method (log2 K bits); for SF-DiVeQ the MSE to the nearest
 * point on its curve is reported as well (on the first 2·10⁴ samples).
 *
 *   npm run bench:toy -- --quick              (default) 2·10⁵ samples, batch 500, 1000 steps (2.5 epochs)
 *   npm run bench:toy -- --paper              10⁶ samples, batch 10⁴, 100 epochs (hours)
 *   npm run bench:toy -- --paper --max-steps 20   time the first steps of --paper and extrapolate
 *   [--datasets swiss-roll] [--bits 8] [--epochs 25]   subsets / longer runs, written to their own files
 *   --methods DiVeQ,SF-DiVeQ,Rotation   other methods (default NSVQ,STE,MiniBatchKmeans), written to
 *                                       toy[-profile]-<methods>.*; baseline rows are taken from the
 *                                       profile's own toy*.json when it exists (same data and starts)
 *
 * Batching: for one (bits, method) the 4 datasets × 5 seeds = 20 runs train in one TF.js graph:
 * each run has its own codebook rows, batch, exact search, usage counts and replacement, and the
 * loss is the sum of the per-run losses. Adam is elementwise, so this equals 20 separate runs;
 * it only amortises TF.js's per-op overhead. The MSE is the mean over elements of (x − Q(x))² on
 * the whole data set after training; dead codewords are those no sample selects.
 *
 * Replacement threshold: the paper's 10% at batch 10⁴. A codeword of probability mass p is used
 * in a batch of B samples with probability ≈ 1 − e^{−Bp}, so the same dead-mass criterion at
 * B = 500 (--quick) is a threshold of 0.5%; --quick uses that. --quick keeps 2·10⁵ samples so
 * that even 4096 codewords see ~50 samples each when counting dead codewords.
 *
 * Outputs: bench/results/toy.json, toy.md (Table 2 layout + target checks),
 * toy-swissroll-8bit.svg (final codebooks of seed 1, like Fig. 4).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as vl from 'vega-lite';
import * as vega from 'vega';
import { initTfBackend, describeBackend } from '../src/vq/tf-backend.js';
import { Rng } from '../src/vq/random.js';
import { nearestCodewords } from '../src/vq/search.js';
import { noiseSubstitution } from '../src/vq/nsvq.js';
import { diveq } from '../src/vq/diveq.js';
import { ditheredPoints, nearestOnSegments, sfDiveq } from '../src/vq/sf-diveq.js';
import { rotateTo } from '../src/vq/rotation.js';
import { selectRows, stopGradient, straightThrough } from '../src/vq/select.js';
import { CodebookUsage } from '../src/vq/usage.js';
import { CodebookReplacer } from '../src/vq/replacement.js';
import { MiniBatchKMeans } from '../src/vq/minibatch-kmeans.js';
import { TOY_DATASETS, type ToyDataset, initFromData, toyData } from '../src/vq/toy-data.js';

interface Profile {
  name: 'quick' | 'paper';
  samples: number;
  batch: number;
  epochs: number;
  threshold: number;
}

const PROFILES: Record<Profile['name'], Profile> = {
  quick: { name: 'quick', samples: 200_000, batch: 500, epochs: 2.5, threshold: 0.005 },
  paper: { name: 'paper', samples: 1_000_000, batch: 10_000, epochs: 100, threshold: 0.1 },
};
const BITS = [6, 8, 10, 12];
const SEEDS = [1, 2, 3, 4, 5];
const METHODS = ['NSVQ', 'STE', 'MiniBatchKmeans', 'DiVeQ', 'SF-DiVeQ', 'Rotation'] as const;
type Method = (typeof METHODS)[number];
type GradientMethod = Exclude<Method, 'MiniBatchKmeans'>;
const DEFAULT_METHODS: Method[] = ['NSVQ', 'STE', 'MiniBatchKmeans'];
/** DiVeQ / SF-DiVeQ directional noise σ (the reference code's default). */
const DIVEQ_NOISE = 1e-3;
/** Samples used for SF-DiVeQ's curve MSE (the projection is O(n·K) in plain TS). */
const CURVE_SAMPLES = 20_000;
const LR = 1e-3;
const BETA = 0.25;
const DIM = 2;

interface Run {
  dataset: ToyDataset;
  seed: number;
  data: Float32Array;
}

interface RunResult {
  dataset: ToyDataset;
  seed: number;
  bits: number;
  method: Method;
  mse: number;
  dead: number;
  codebook: Float32Array;
  /** SF-DiVeQ only: MSE to the nearest point on the curve (first CURVE_SAMPLES samples). */
  curveMse?: number;
}

function hashSeed(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function evaluate(run: Run, n: number, cb: Float32Array, k: number): { mse: number; dead: number } {
  const idx = nearestCodewords(run.data, n, cb, k, DIM);
  const used = new Uint8Array(k);
  let se = 0;
  for (let r = 0; r < n; r++) {
    const j = idx[r];
    used[j] = 1;
    for (let i = 0; i < DIM; i++) se += (run.data[r * DIM + i] - cb[j * DIM + i]) ** 2;
  }
  let dead = 0;
  for (let j = 0; j < k; j++) if (!used[j]) dead++;
  return { mse: se / (n * DIM), dead };
}

/** Per-run epoch orders (seeded), so every method sees the same batches. */
function batchOrder(runIdx: number, epoch: number, n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(hashSeed('order', seed, runIdx, epoch)).shuffle(order);
  return order;
}

function gatherBatch(run: Run, order: Int32Array, start: number, b: number, out: Float32Array, offset: number): void {
  for (let i = 0; i < b; i++) {
    const src = order[start + i];
    out[(offset + i) * DIM] = run.data[src * DIM];
    out[(offset + i) * DIM + 1] = run.data[src * DIM + 1];
  }
}

/** A gradient method for all runs jointly (see the file comment). Returns final codebooks per run. */
function trainGradient(method: GradientMethod, runs: Run[], inits: Float32Array[], k: number, p: Profile, maxSteps: number): Float32Array[] {
  const R = runs.length;
  const B = p.batch;
  const perEpoch = Math.floor(p.samples / B);
  const total = Math.round(perEpoch * p.epochs);
  const all = new Float32Array(R * k * DIM);
  inits.forEach((c, r) => all.set(c, r * k * DIM));
  const cbVar = tf.variable(tf.tensor2d(all, [R * k, DIM]), true);
  const opt = tf.train.adam(LR);
  const noise = new Rng(hashSeed('noise', method, k));
  const usage = runs.map(() => new CodebookUsage(k));
  const replacers =
    method === 'NSVQ' || method === 'DiVeQ'
      ? runs.map((_, r) => new CodebookReplacer({ totalSteps: total, threshold: p.threshold }, new Rng(hashSeed('replace', r, k))))
      : null;
  const batch = new Float32Array(R * B * DIM);
  const gIdx = new Int32Array(R * B);
  const gIdx1 = new Int32Array(R * B); // SF-DiVeQ: the segment's other end
  const lam = new Float32Array(R * B); // SF-DiVeQ: the chosen segment's dither
  const sf = method === 'SF-DiVeQ';
  let step = 0;
  let orders: Int32Array[] = [];
  outer: for (let e = 0; e < p.epochs; e++) {
    orders = runs.map((run, r) => batchOrder(r, e, p.samples, run.seed));
    for (let bi = 0; bi < perEpoch; bi++) {
      if (step >= maxSteps) break outer;
      step++;
      const cb = cbVar.dataSync() as Float32Array;
      for (let r = 0; r < R; r++) {
        gatherBatch(runs[r], orders[r], bi * B, B, batch, r * B);
        const xr = batch.subarray(r * B * DIM, (r + 1) * B * DIM);
        const cr = cb.subarray(r * k * DIM, (r + 1) * k * DIM);
        if (sf) {
          // Nearest of the K − 1 dithered points p_i = (1 − λ_i)c_i + λ_i c_{i+1}.
          const lambda = new Float32Array(k - 1);
          for (let i = 0; i < k - 1; i++) lambda[i] = noise.uniform();
          const seg = nearestCodewords(xr, B, ditheredPoints(cr, k, DIM, lambda), k - 1, DIM);
          usage[r].record(seg);
          for (let i = 0; i < B; i++) {
            gIdx[r * B + i] = r * k + seg[i];
            gIdx1[r * B + i] = r * k + seg[i] + 1;
            lam[r * B + i] = lambda[seg[i]];
          }
        } else {
          const idx = nearestCodewords(xr, B, cr, k, DIM);
          usage[r].record(idx);
          for (let i = 0; i < B; i++) gIdx[r * B + i] = r * k + idx[i];
        }
      }
      const denom = B * DIM; // Σ over runs of per-run means
      tf.tidy(() => {
        const x = tf.tensor2d(batch, [R * B, DIM]);
        const v = method === 'NSVQ' ? tf.tensor2d(noise.normalArray(R * B * DIM), [R * B, DIM]) : null;
        const eps0 = method === 'DiVeQ' || sf ? tf.tensor2d(noise.normalArray(R * B * DIM, DIVEQ_NOISE), [R * B, DIM]) : null;
        const eps1 = sf ? tf.tensor2d(noise.normalArray(R * B * DIM, DIVEQ_NOISE), [R * B, DIM]) : null;
        const lamT = sf ? tf.tensor2d(lam, [R * B, 1]) : null;
        const cost = opt.minimize(
          () => {
            const c = selectRows(cbVar, gIdx);
            if (method === 'NSVQ' || method === 'DiVeQ' || sf) {
              const xh =
                method === 'NSVQ' ? noiseSubstitution(x, c, v as tf.Tensor2D)
                : method === 'DiVeQ' ? diveq(x, c, eps0 as tf.Tensor2D)
                : sfDiveq(x, c, selectRows(cbVar, gIdx1), lamT as tf.Tensor2D, eps0 as tf.Tensor2D, eps1 as tf.Tensor2D);
              return tf.div(tf.sum(tf.square(tf.sub(x, xh))), denom) as tf.Scalar;
            }
            // STE or the rotation trick: same auxiliary losses; the data x has no gradient here.
            const out = method === 'Rotation' ? straightThrough(rotateTo(x, c), stopGradient(c)) : straightThrough(x, c);
            const task = tf.sum(tf.square(tf.sub(x, out)));
            const codebookLoss = tf.sum(tf.square(tf.sub(stopGradient(x), c)));
            const commitment = tf.sum(tf.square(tf.sub(x, stopGradient(c))));
            return tf.div(tf.add(tf.add(task, codebookLoss), tf.mul(BETA, commitment)), denom) as tf.Scalar;
          },
          false,
          [cbVar],
        );
        cost?.dispose();
      });
      if (replacers && replacers[0].isDue(step)) {
        let changed = false;
        const cbNow = (cbVar.dataSync() as Float32Array).slice();
        for (let r = 0; r < R; r++) {
          const view = cbNow.subarray(r * k * DIM, (r + 1) * k * DIM);
          const rep = replacers[r].maybeReplace(step, view, DIM, usage[r]);
          if (rep && rep.length > 0) changed = true;
        }
        if (changed) {
          const t = tf.tensor2d(cbNow, [R * k, DIM]);
          cbVar.assign(t);
          t.dispose();
        }
      }
    }
  }
  const final = cbVar.dataSync() as Float32Array;
  const out = runs.map((_, r) => final.slice(r * k * DIM, (r + 1) * k * DIM));
  cbVar.dispose();
  opt.dispose();
  return out;
}

function trainKMeans(runs: Run[], inits: Float32Array[], k: number, p: Profile, maxSteps: number): Float32Array[] {
  const B = p.batch;
  const perEpoch = Math.floor(p.samples / B);
  const batch = new Float32Array(B * DIM);
  return runs.map((run, r) => {
    const km = new MiniBatchKMeans({ codebookSize: k, dim: DIM, init: inits[r], seed: hashSeed('km', r, k) });
    let step = 0;
    outer: for (let e = 0; e < p.epochs; e++) {
      const order = batchOrder(r, e, p.samples, run.seed);
      for (let bi = 0; bi < perEpoch; bi++) {
        if (step >= maxSteps) break outer;
        step++;
        gatherBatch(run, order, bi * B, B, batch, 0);
        const idx = nearestCodewords(batch, B, km.codebookArray(), k, DIM);
        km.update(batch, idx);
      }
    }
    const cb = km.codebookArray().slice();
    km.dispose();
    return cb;
  });
}

function mean(a: number[]): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}
function std(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
}

/** Published Table 2 means (for the ratio comparison only). */
const PAPER_MEANS: Record<number, Record<'NSVQ' | 'STE' | 'MiniBatchKmeans', Record<ToyDataset, number>>> = {
  6: {
    MiniBatchKmeans: { blobs: 88.35e-3, circles: 101.88e-3, moons: 57.52e-3, 'swiss-roll': 11.02e-2 },
    STE: { blobs: 86.07e-3, circles: 193.58e-3, moons: 117.36e-3, 'swiss-roll': 18.23e-2 },
    NSVQ: { blobs: 85.01e-3, circles: 94.59e-3, moons: 61.75e-3, 'swiss-roll': 10.38e-2 },
  },
  8: {
    MiniBatchKmeans: { blobs: 23.8e-3, circles: 12.23e-3, moons: 83.9e-4, 'swiss-roll': 12.22e-3 },
    STE: { blobs: 22.8e-3, circles: 37.17e-3, moons: 227.64e-4, 'swiss-roll': 38.02e-3 },
    NSVQ: { blobs: 22.36e-3, circles: 12.54e-3, moons: 79.13e-4, 'swiss-roll': 11.66e-3 },
  },
  10: {
    MiniBatchKmeans: { blobs: 60.92e-4, circles: 32.47e-4, moons: 24.22e-4, 'swiss-roll': 33.17e-4 },
    STE: { blobs: 61.91e-4, circles: 83.79e-4, moons: 69.83e-4, 'swiss-roll': 87.87e-4 },
    NSVQ: { blobs: 57.17e-4, circles: 31.47e-4, moons: 23.27e-4, 'swiss-roll': 32.07e-4 },
  },
  12: {
    MiniBatchKmeans: { blobs: 15.56e-4, circles: 85.98e-5, moons: 63.43e-5, 'swiss-roll': 88.21e-5 },
    STE: { blobs: 19.05e-4, circles: 283.98e-5, moons: 227.59e-5, 'swiss-roll': 300.39e-5 },
    NSVQ: { blobs: 14.74e-4, circles: 85.69e-5, moons: 61.48e-5, 'swiss-roll': 87.02e-5 },
  },
};

interface Row {
  dataset: ToyDataset;
  bits: number;
  method: Method;
  mse_mean: number;
  mse_std: number;
  dead_codewords: number;
  dead_codewords_max: number;
  seeds: number;
  /** SF-DiVeQ: mean MSE to the nearest point on the curve (first CURVE_SAMPLES samples). */
  curve_mse_mean?: number;
  /** Set on rows read from an earlier results file instead of this run. */
  from?: string;
}

function markdown(rows: Row[], p: Profile, seconds: number, cpuSeconds: number, backend: string, bits: number[], datasets: readonly ToyDataset[], ran: Method[]): string {
  const get = (d: ToyDataset, b: number, m: Method) => rows.find((r) => r.dataset === d && r.bits === b && r.method === m);
  const shown = METHODS.filter((m) => rows.some((r) => r.method === m));
  const borrowed = [...new Set(rows.filter((r) => r.from).map((r) => `${r.method} from \`${r.from}\``))];
  const fmt = (v: number) => v.toExponential(3);
  const lines: string[] = [];
  lines.push(`# Toy study (paper §IV, Table 2) — profile \`${p.name}\``);
  lines.push('');
  lines.push(`${p.samples} samples per data set, batch ${p.batch}, ${p.epochs} epochs, Adam lr ${LR}, ${SEEDS.length} seeds; NSVQ replacement threshold ${p.threshold}. ${backend}. Wall time ${(seconds / 60).toFixed(1)} min on a shared 2-core machine (process CPU time ${(cpuSeconds / 60).toFixed(1)} min).`);
  lines.push(`Methods run here: ${ran.join(', ')}.${borrowed.length ? ` Rows of ${borrowed.join(', ')} (the same profile, data, seeds and starts, run earlier).` : ''}`);
  lines.push('MSE = mean over elements of (x − Q(x))² on the whole data set with Q the nearest codeword (log2 K bits, every method); dead = codewords no sample selects (mean over seeds). Std over seeds (n − 1).');
  lines.push('');
  lines.push(`| Bitrate | Method | | ${datasets.join(' | ')} |`);
  lines.push(`|---|---|---|${datasets.map(() => '---').join('|')}|`);
  for (const b of bits) {
    for (const m of shown) {
      lines.push(`| ${b} bit | ${m} | Mean | ${datasets.map((d) => fmt(get(d, b, m)?.mse_mean ?? NaN)).join(' | ')} |`);
      lines.push(`| | | Std | ${datasets.map((d) => fmt(get(d, b, m)?.mse_std ?? NaN)).join(' | ')} |`);
      lines.push(`| | | Dead | ${datasets.map((d) => String(get(d, b, m)?.dead_codewords ?? NaN)).join(' | ')} |`);
    }
  }
  const newer = shown.filter((m) => !DEFAULT_METHODS.includes(m));
  if (newer.length > 0) {
    lines.push('');
    lines.push('## Newer estimators against NSVQ and k-means (MSE ratios of the means; < 1 = lower MSE than the reference)');
    lines.push('');
    lines.push(`| data set | bits | ${newer.map((m) => `${m}/NSVQ | ${m}/k-means | ${m} dead`).join(' | ')} |`);
    lines.push(`|---|---|${newer.map(() => '---|---|---').join('|')}|`);
    for (const d of datasets) for (const b of bits) {
      const n = get(d, b, 'NSVQ'), k = get(d, b, 'MiniBatchKmeans');
      const cells = newer.map((m) => {
        const r = get(d, b, m);
        if (!r) return '– | – | –';
        return `${n ? (r.mse_mean / n.mse_mean).toFixed(3) : '–'} | ${k ? (r.mse_mean / k.mse_mean).toFixed(3) : '–'} | ${r.dead_codewords}`;
      });
      lines.push(`| ${d} | ${b} | ${cells.join(' | ')} |`);
    }
    if (shown.includes('SF-DiVeQ')) {
      lines.push('');
      lines.push(`SF-DiVeQ on its curve (nearest point on the segments, first ${CURVE_SAMPLES} samples; not a log2 K-bit quantizer): MSE mean`);
      lines.push('');
      lines.push(`| bits | ${datasets.join(' | ')} |`);
      lines.push(`|---|${datasets.map(() => '---').join('|')}|`);
      for (const b of bits) lines.push(`| ${b} | ${datasets.map((d) => fmt(get(d, b, 'SF-DiVeQ')?.curve_mse_mean ?? NaN)).join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('## Targets (circles, moons, swiss-roll; 8–12 bits)');
  lines.push('');
  lines.push('NSVQ/k-means ≤ 1.05, STE/NSVQ ≥ 1.5, NSVQ dead = 0 at ≥ 10 bits. Paper ratios from its Table 2 means for comparison.');
  lines.push('');
  lines.push('| data set | bits | NSVQ/k-means | (paper) | STE/NSVQ | (paper) | NSVQ dead | pass |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const d of datasets.filter((x) => x !== 'blobs')) {
    for (const b of bits.filter((x) => x >= 8)) {
      const n = get(d, b, 'NSVQ'), k = get(d, b, 'MiniBatchKmeans'), s = get(d, b, 'STE');
      if (!n || !k || !s) continue;
      const r1 = n.mse_mean / k.mse_mean, r2 = s.mse_mean / n.mse_mean;
      const pp = PAPER_MEANS[b];
      const p1 = pp ? pp.NSVQ[d] / pp.MiniBatchKmeans[d] : NaN, p2 = pp ? pp.STE[d] / pp.NSVQ[d] : NaN;
      const ok = r1 <= 1.05 && r2 >= 1.5 && (b < 10 || n.dead_codewords === 0);
      lines.push(`| ${d} | ${b} | ${r1.toFixed(3)} | ${p1.toFixed(3)} | ${r2.toFixed(2)} | ${p2.toFixed(2)} | ${n.dead_codewords} | ${ok ? 'yes' : 'no'} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

async function codebookSvg(data: Float32Array, books: Partial<Record<Method, Float32Array>>): Promise<string> {
  const values: { method: string; x: number; y: number; kind: string }[] = [];
  const stride = Math.max(1, Math.floor(data.length / 2 / 1500)); // keeps the SVG near 1 MB
  const methods = METHODS.filter((m) => books[m]);
  for (const m of methods) {
    for (let i = 0; i < data.length / 2; i += stride) values.push({ method: m, x: data[2 * i], y: data[2 * i + 1], kind: 'data' });
    const cb = books[m] as Float32Array;
    for (let j = 0; j < cb.length / 2; j++) values.push({ method: m, x: cb[2 * j], y: cb[2 * j + 1], kind: 'codeword' });
  }
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Final 8-bit codebooks, swiss-roll (seed 1)',
    data: { values },
    facet: { column: { field: 'method', type: 'nominal', sort: [...methods], title: null } },
    spec: {
      width: 260,
      height: 260,
      layer: [
        { transform: [{ filter: "datum.kind === 'data'" }], mark: { type: 'circle', size: 4, opacity: 0.25, color: '#9aa5b1' }, encoding: { x: { field: 'x', type: 'quantitative', scale: { zero: false } }, y: { field: 'y', type: 'quantitative', scale: { zero: false } } } },
        { transform: [{ filter: "datum.kind === 'codeword'" }], mark: { type: 'circle', size: 14, opacity: 0.9, color: '#d62728' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
      ],
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function parseArgs(argv: string[]) {
  let profile: Profile = PROFILES.quick;
  let maxSteps = Infinity;
  let bits = BITS;
  let datasets: readonly ToyDataset[] = TOY_DATASETS;
  let epochs: number | null = null;
  let methods: Method[] = DEFAULT_METHODS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') profile = PROFILES.quick;
    else if (a === '--paper') profile = PROFILES.paper;
    else if (a === '--max-steps') maxSteps = Number(argv[++i]);
    else if (a === '--bits') bits = argv[++i].split(',').map(Number);
    else if (a === '--datasets') datasets = argv[++i].split(',') as ToyDataset[];
    else if (a === '--epochs') epochs = Number(argv[++i]);
    else if (a === '--methods') methods = argv[++i].split(',') as Method[];
    else throw new Error(`unknown argument ${a} (use --quick | --paper [--max-steps N] [--bits 6,8] [--datasets circles,moons] [--epochs E] [--methods ${METHODS.join(',')}])`);
  }
  for (const m of methods) if (!(METHODS as readonly string[]).includes(m)) throw new Error(`unknown method ${m} (use ${METHODS.join(', ')})`);
  for (const d of datasets) if (!(TOY_DATASETS as readonly string[]).includes(d)) throw new Error(`unknown data set ${d}`);
  // Any override writes to its own files (toy-<profile>-<tag>.*), never over the profile's results.
  const tag = [
    datasets.length !== TOY_DATASETS.length ? datasets.join('+') : '',
    bits.join(',') !== BITS.join(',') ? `${bits.join('+')}bit` : '',
    epochs !== null ? `${epochs}ep` : '',
  ].filter(Boolean).join('-');
  const methodsTag = methods.join(',') !== DEFAULT_METHODS.join(',') ? methods.join('+').toLowerCase() : '';
  if (epochs !== null) profile = { ...profile, epochs };
  return { profile, maxSteps, bits, datasets, tag, methodsTag, methods };
}

async function main(): Promise<void> {
  const { profile: p, maxSteps, bits, datasets, tag, methodsTag, methods } = parseArgs(process.argv.slice(2));
  const info = await initTfBackend();
  const backend = describeBackend(info);
  console.error(`${backend}; profile ${p.name}${Number.isFinite(maxSteps) ? `, first ${maxSteps} steps only` : ''}`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const runs: Run[] = [];
  for (const d of datasets) for (const s of SEEDS) runs.push({ dataset: d, seed: s, data: toyData(d, p.samples, new Rng(hashSeed('data', d, s))) });
  const results: RunResult[] = [];
  const timing: { bits: number; method: Method; seconds: number; steps: number }[] = [];
  const perEpoch = Math.floor(p.samples / p.batch);
  const totalSteps = Math.round(perEpoch * p.epochs);
  const steps = Math.min(totalSteps, maxSteps);
  for (const b of bits) {
    const k = 1 << b;
    const inits = runs.map((run) => initFromData(run.data, p.samples, k, DIM, new Rng(hashSeed('init', run.dataset, run.seed, b))));
    for (const m of methods) {
      const t = performance.now();
      const books = m === 'MiniBatchKmeans' ? trainKMeans(runs, inits, k, p, steps) : trainGradient(m, runs, inits, k, p, steps);
      const sec = (performance.now() - t) / 1000;
      timing.push({ bits: b, method: m, seconds: +sec.toFixed(2), steps });
      runs.forEach((run, r) => {
        const res: RunResult = { dataset: run.dataset, seed: run.seed, bits: b, method: m, ...evaluate(run, p.samples, books[r], k), codebook: books[r] };
        if (m === 'SF-DiVeQ') {
          const nc = Math.min(CURVE_SAMPLES, p.samples);
          const proj = nearestOnSegments(run.data, nc, books[r], k, DIM);
          let se = 0;
          for (let i = 0; i < nc * DIM; i++) se += (run.data[i] - proj.points[i]) ** 2;
          res.curveMse = se / (nc * DIM);
        }
        results.push(res);
      });
      console.error(`  ${b} bit ${m.padEnd(15)} ${sec.toFixed(1)} s (${steps} steps × ${runs.length} runs)`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuUse = process.cpuUsage(cpu0);
  const cpuSeconds = (cpuUse.user + cpuUse.system) / 1e6;
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });

  if (Number.isFinite(maxSteps) && steps < totalSteps) {
    const trainSec = timing.reduce((s, t) => s + t.seconds, 0);
    const estimate = (trainSec * totalSteps) / steps;
    const out = { profile: p.name, measured_steps: steps, total_steps: totalSteps, runs: runs.length, bits, measured_training_seconds: +trainSec.toFixed(1), estimated_full_hours: +(estimate / 3600).toFixed(1), timing, backend };
    writeFileSync(path.join(dir, `toy-${p.name}-timing.json`), JSON.stringify(out, null, 2) + '\n');
    console.log(`measured ${steps}/${totalSteps} steps: ${trainSec.toFixed(1)} s → estimated full run ${(estimate / 3600).toFixed(1)} h (training only, same machine)`);
    return;
  }

  const rows: Row[] = [];
  for (const d of datasets) for (const b of bits) for (const m of methods) {
    const rs = results.filter((r) => r.dataset === d && r.bits === b && r.method === m);
    const row: Row = {
      dataset: d, bits: b, method: m,
      mse_mean: mean(rs.map((r) => r.mse)), mse_std: std(rs.map((r) => r.mse)),
      dead_codewords: mean(rs.map((r) => r.dead)), dead_codewords_max: Math.max(...rs.map((r) => r.dead)),
      seeds: rs.length,
    };
    if (m === 'SF-DiVeQ') row.curve_mse_mean = mean(rs.map((r) => r.curveMse ?? NaN));
    rows.push(row);
  }
  const baseSuffix = (p.name === 'quick' ? '' : `-${p.name}`) + (tag ? `-${tag}` : '');
  const suffix = baseSuffix + (methodsTag ? `-${methodsTag}` : '');
  // Rows of methods not run here, from the same profile's results file (same data, seeds and starts).
  const baseFile = `toy${baseSuffix}.json`;
  const shownRows = rows.slice();
  if (methodsTag && existsSync(path.join(dir, baseFile))) {
    const earlier = JSON.parse(readFileSync(path.join(dir, baseFile), 'utf8')) as Row[];
    for (const r of earlier) if (!methods.includes(r.method) && bits.includes(r.bits) && datasets.includes(r.dataset)) shownRows.push({ ...r, from: baseFile });
  }
  writeFileSync(path.join(dir, `toy${suffix}.json`), JSON.stringify(rows, null, 2) + '\n');
  writeFileSync(path.join(dir, `toy${suffix}-meta.json`), JSON.stringify({ profile: p, methods, lr: LR, beta: BETA, diveq_noise_std: DIVEQ_NOISE, seeds: SEEDS, backend, seconds: +seconds.toFixed(1), cpu_seconds: +cpuSeconds.toFixed(1), timing, date: new Date().toISOString() }, null, 2) + '\n');
  const md = markdown(shownRows, p, seconds, cpuSeconds, backend, bits, datasets, methods);
  writeFileSync(path.join(dir, `toy${suffix}.md`), md);
  if (bits.includes(8) && datasets.includes('swiss-roll')) {
    const books: Partial<Record<Method, Float32Array>> = {};
    for (const m of methods) books[m] = results.find((r) => r.dataset === 'swiss-roll' && r.bits === 8 && r.seed === 1 && r.method === m)!.codebook;
    const sr = runs.find((r) => r.dataset === 'swiss-roll' && r.seed === 1)!;
    writeFileSync(path.join(dir, `toy${suffix}-swissroll-8bit.svg`), await codebookSvg(sr.data, books));
  }
  console.log(md);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
