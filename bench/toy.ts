/**
 * The NSVQ paper's toy study (§IV third scenario, Table 2, Fig. 4) at the paper's scale, on the
 * fast 2-D trainer (src/vq/toy-trainer.ts, no TF.js): NSVQ (with codebook replacement), STE
 * (β = 0.25), mini-batch k-means (Sculley, scikit-learn-style reassignment), DiVeQ (with NSVQ's
 * replacement), SF-DiVeQ and the rotation trick (β = 0.25) quantize blobs, circles, moons and
 * swiss-roll at 6, 8, 10 and 12 bits, 5 seeds each. Every method of a (data set, seed, bits)
 * starts from the same codebook (data samples + N(0, 1)) and sees the same batches in the same
 * order (the methods train in lockstep). Gradient methods: Adam, lr 1e-3.
 *
 *   npm run bench:toy -- --calibrate          fit the generators' noise and scale to the paper's
 *                                             k-means column (bench/results/toy-calibration.*)
 *   npm run bench:toy -- --paper              the paper's profile: 10⁶ samples, batch 10⁴,
 *                                             100 epochs (bench/results/toy.{json,md}, SVG)
 *   --max-steps N     time the first N steps of every job and extrapolate (writes nothing)
 *   --epochs E / --samples N / --datasets a,b / --bits 8,10 / --methods NSVQ,STE / --seeds 3
 *                     a smaller profile, written to toy-<tag>.* (never over toy.*)
 *   --threads T       worker threads (default 2)
 *
 * MSE = mean over elements of (x − Q(x))² on the whole data set, Q = nearest codeword (log2 K
 * bits) for every method; dead = codewords no sample selects. For SF-DiVeQ the MSE to the
 * nearest point on its curve is also given (first 2·10⁴ samples). Replacement threshold: the
 * paper's 10 % at batch 10⁴.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as vl from 'vega-lite';
import { renderSpecSvg } from '../src/eval/charts.js';
import { Rng } from '../src/vq/random.js';
import { TOY_DATASETS, type ToyDataset, type ToyParams, toyData } from '../src/vq/toy-data.js';
import { TOY_METHODS, type ToyMethod, toySeed, toySteps } from '../src/vq/toy-trainer.js';
import { calibrate, calibrationMarkdown } from './toy-calibrate.js';
import { PAPER_METHODS, PAPER_TABLE2, type PaperMethod, paperBest } from './toy-paper.js';
import { jobSteps, runToyJobs, type ToyJob, type ToyJobResult } from './toy-jobs.js';

const BITS = [6, 8, 10, 12];
const SEEDS = [1, 2, 3, 4, 5];
const LR = 1e-3;
const THRESHOLD = 0.1;
/** DiVeQ / SF-DiVeQ directional noise σ (the reference code's default). */
const DIVEQ_NOISE = 1e-3;
const CURVE_SAMPLES = 20_000;

/**
 * Generator parameters from the calibration (bench/results/toy-calibration.md): the best shape
 * and scale per data set found by `--calibrate`.
 */
export const CALIBRATED: Record<ToyDataset, ToyParams> = {
  blobs: { noise: 1, scale: 0.9832 },
  circles: { noise: 0.01, factor: 0.8, scale: 8.655 },
  moons: { noise: 0.01, scale: 10.04 },
  'swiss-roll': { noise: 0.1, scale: 0.9927 },
};

interface Args {
  mode: 'paper' | 'calibrate';
  samples: number;
  batch: number;
  epochs: number;
  maxSteps?: number;
  bits: number[];
  datasets: ToyDataset[];
  methods: ToyMethod[];
  seeds: number[];
  threads: number;
  tag: string;
  /** Build the report from a partial-results file of an interrupted run instead of training. */
  fromPartial?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { mode: 'paper', samples: 1_000_000, batch: 10_000, epochs: 100, bits: BITS, datasets: [...TOY_DATASETS], methods: [...TOY_METHODS], seeds: SEEDS, threads: 2, tag: '' };
  const tags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${x} needs a value`);
      return v;
    };
    if (x === '--paper') a.mode = 'paper';
    else if (x === '--calibrate') a.mode = 'calibrate';
    else if (x === '--max-steps') a.maxSteps = Number(val());
    else if (x === '--threads') a.threads = Number(val());
    else if (x === '--from-partial') a.fromPartial = val();
    else if (x === '--epochs') { a.epochs = Number(val()); tags.push(`${a.epochs}ep`); }
    else if (x === '--samples') { a.samples = Number(val()); tags.push(`${a.samples}n`); }
    else if (x === '--bits') { a.bits = val().split(',').map(Number); tags.push(`${a.bits.join('+')}bit`); }
    else if (x === '--datasets') { a.datasets = val().split(',') as ToyDataset[]; tags.push(a.datasets.join('+')); }
    else if (x === '--methods') { a.methods = val().split(',') as ToyMethod[]; tags.push(a.methods.join('+').toLowerCase()); }
    else if (x === '--seeds') { a.seeds = SEEDS.slice(0, Number(val())); tags.push(`${a.seeds.length}seeds`); }
    else throw new Error(`unknown argument ${x} (use --paper | --calibrate [--max-steps N] [--epochs E] [--samples N] [--bits 6,8] [--datasets circles,moons] [--methods ${TOY_METHODS.join(',')}] [--seeds S] [--threads T])`);
  }
  for (const m of a.methods) if (!(TOY_METHODS as readonly string[]).includes(m)) throw new Error(`unknown method ${m}`);
  for (const d of a.datasets) if (!(TOY_DATASETS as readonly string[]).includes(d)) throw new Error(`unknown data set ${d}`);
  a.tag = tags.join('-');
  return a;
}

function mean(a: number[]): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}
function std(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
}

interface Row {
  dataset: ToyDataset;
  bits: number;
  method: ToyMethod;
  mse_mean: number;
  mse_std: number;
  mse_per_seed: number[];
  dead_mean: number;
  dead_max: number;
  replaced_mean: number;
  curve_mse_mean?: number;
  paper_mean?: number;
  paper_std?: number;
  ratio_to_paper?: number;
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toExponential(3));

function markdown(rows: Row[], a: Args, meta: { command: string; wall: number; cpu: number; load: number[] }): string {
  const get = (d: ToyDataset, b: number, m: ToyMethod) => rows.find((r) => r.dataset === d && r.bits === b && r.method === m);
  const L: string[] = [];
  L.push(`# Toy study (paper §IV, Table 2) at ${a.tag ? `a reduced profile (${a.tag})` : "the paper's profile"}`);
  L.push('');
  L.push(`Command: \`${meta.command}\`. Wall time ${(meta.wall / 60).toFixed(1)} min, CPU time ${(meta.cpu / 60).toFixed(1)} min (${a.threads} worker threads on a shared 2-core machine; load average at the start ${meta.load.map((x) => x.toFixed(1)).join(' / ')}).`);
  L.push('');
  L.push(`${a.samples} samples per data set, batch ${a.batch}, ${a.epochs} epochs (${toySteps(a.samples, a.batch, a.epochs)} steps), Adam lr ${LR}, seeds ${a.seeds.join(', ')}; NSVQ and DiVeQ replacement threshold ${THRESHOLD}; STE and rotation β = 0.25; DiVeQ / SF-DiVeQ σ = ${DIVEQ_NOISE}. Every method of a (data set, seed, bits) starts from the same codebook (data samples + N(0, 1)) and sees the same batches. Data: the calibrated generators (\`toy-calibration.md\`): ${a.datasets.map((d) => `${d} σ = ${CALIBRATED[d].noise}${CALIBRATED[d].factor !== undefined ? `, factor ${CALIBRATED[d].factor}` : ''}, scale ${CALIBRATED[d].scale}`).join('; ')}.`);
  L.push('');
  L.push('MSE = mean over elements (per dimension) of (x − Q(x))² on the whole data set, Q = nearest codeword (log2 K bits) for every method. Ours: mean ± std over seeds (n − 1); paper: Table 2 mean (std); ratio = ours / paper; dead = codewords no sample selects (mean over seeds).');
  L.push('');
  L.push(`| bits | method | ${a.datasets.map((d) => `${d}: ours | paper | ratio | dead`).join(' | ')} |`);
  L.push(`|---|---|${a.datasets.map(() => '---|---|---|---').join('|')}|`);
  for (const b of a.bits) {
    for (const m of a.methods) {
      const cells = a.datasets.map((d) => {
        const r = get(d, b, m);
        if (!r) return '– | – | – | –';
        const p = r.paper_mean !== undefined ? `${fmt(r.paper_mean)} (${fmt(r.paper_std)})` : '–';
        return `${fmt(r.mse_mean)}${r.mse_per_seed.length > 1 ? ` ± ${r.mse_std.toExponential(1)}` : ''} | ${p} | ${r.ratio_to_paper !== undefined ? r.ratio_to_paper.toFixed(3) : '–'} | ${r.dead_mean}`;
      });
      L.push(`| ${b} | ${m} | ${cells.join(' | ')} |`);
    }
  }
  L.push('');
  L.push('## Best method per cell (lowest mean MSE)');
  L.push('');
  L.push('"ours, paper\'s three" ranks only MiniBatchKmeans, STE and NSVQ, like the paper; "ours, all" ranks every method run. Methods whose means are equal to 4 significant digits are listed together.');
  L.push('');
  L.push(`| bits | data set | paper | ours, paper's three | ours, all |`);
  L.push('|---|---|---|---|---|');
  const best = (d: ToyDataset, b: number, ms: readonly ToyMethod[]) => {
    const rs = ms.map((m) => get(d, b, m)).filter((r): r is Row => !!r);
    if (rs.length === 0) return '–';
    const lo = Math.min(...rs.map((r) => r.mse_mean));
    return rs.filter((r) => Number(r.mse_mean.toPrecision(4)) === Number(lo.toPrecision(4))).map((r) => r.method).join(' = ');
  };
  for (const b of a.bits) for (const d of a.datasets) L.push(`| ${b} | ${d} | ${paperBest(b, d)} | ${best(d, b, PAPER_METHODS.filter((m) => a.methods.includes(m)))} | ${best(d, b, a.methods)} |`);
  L.push('');
  L.push('## Ratios between methods (ours vs the paper\'s Table 2 means)');
  L.push('');
  L.push('| bits | data set | NSVQ / k-means ours | paper | STE / NSVQ ours | paper | NSVQ dead | STE dead |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const b of a.bits) for (const d of a.datasets) {
    const n = get(d, b, 'NSVQ'), k = get(d, b, 'MiniBatchKmeans'), s = get(d, b, 'STE');
    if (!n || !k || !s) continue;
    const p = PAPER_TABLE2[b];
    L.push(`| ${b} | ${d} | ${(n.mse_mean / k.mse_mean).toFixed(3)} | ${(p.NSVQ.mean[d] / p.MiniBatchKmeans.mean[d]).toFixed(3)} | ${(s.mse_mean / n.mse_mean).toFixed(2)} | ${(p.STE.mean[d] / p.NSVQ.mean[d]).toFixed(2)} | ${n.dead_mean} | ${s.dead_mean} |`);
  }
  if (a.methods.includes('SF-DiVeQ')) {
    L.push('');
    L.push(`SF-DiVeQ on its curve (nearest point on the segments, first ${CURVE_SAMPLES} samples; not a log2 K-bit code): mean MSE`);
    L.push('');
    L.push(`| bits | ${a.datasets.join(' | ')} |`);
    L.push(`|---|${a.datasets.map(() => '---').join('|')}|`);
    for (const b of a.bits) L.push(`| ${b} | ${a.datasets.map((d) => fmt(get(d, b, 'SF-DiVeQ')?.curve_mse_mean)).join(' | ')} |`);
  }
  L.push('');
  return L.join('\n');
}

async function codebookSvg(data: Float32Array, books: Partial<Record<ToyMethod, number[]>>, title: string): Promise<string> {
  const values: { method: string; x: number; y: number; kind: string }[] = [];
  const stride = Math.max(1, Math.floor(data.length / 2 / 1000)); // ~1000 data points per panel
  const methods = TOY_METHODS.filter((m) => books[m]);
  for (const m of methods) {
    for (let i = 0; i < data.length / 2; i += stride) values.push({ method: m, x: data[2 * i], y: data[2 * i + 1], kind: 'data' });
    const cb = books[m] as number[];
    for (let j = 0; j < cb.length / 2; j++) values.push({ method: m, x: cb[2 * j], y: cb[2 * j + 1], kind: 'codeword' });
  }
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { field: 'method', type: 'nominal', sort: [...methods], title: null },
    columns: 3,
    spec: {
      width: 240,
      height: 240,
      layer: [
        { transform: [{ filter: "datum.kind === 'data'" }], mark: { type: 'circle', size: 4, opacity: 0.25, color: '#9aa5b1' }, encoding: { x: { field: 'x', type: 'quantitative', scale: { zero: false } }, y: { field: 'y', type: 'quantitative', scale: { zero: false } } } },
        { transform: [{ filter: "datum.kind === 'codeword'" }], mark: { type: 'circle', size: 14, opacity: 0.9, color: '#d62728' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
      ],
    },
  } as vl.TopLevelSpec;
  return renderSpecSvg(spec);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const command = `npm run bench:toy -- ${process.argv.slice(2).join(' ')}`.trim();
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const load = os.loadavg();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const mainCpu = () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };

  if (a.mode === 'calibrate') {
    const r = await calibrate({ samples: a.samples, batch: a.batch, epochs: a.tag.includes('ep') ? a.epochs : 2, threads: a.threads, seeds: a.seeds, datasets: a.datasets, bits: a.bits });
    const wall = (performance.now() - t0) / 1000;
    const cpu = mainCpu(); // process.cpuUsage covers the worker threads too
    writeFileSync(path.join(dir, 'toy-calibration.json'), JSON.stringify({ command, wall_seconds: +wall.toFixed(1), cpu_seconds: +cpu.toFixed(1), load_average_start: load, date: new Date().toISOString(), ...r }, null, 1) + '\n');
    const md = calibrationMarkdown(r, command, wall, cpu);
    writeFileSync(path.join(dir, 'toy-calibration.md'), md);
    console.log(md);
    return;
  }

  let id = 0;
  const jobs: ToyJob[] = [];
  for (const d of a.datasets) for (const s of a.seeds) for (const b of a.bits) {
    jobs.push({
      id: id++, dataset: d, params: CALIBRATED[d], seed: s, bits: b, methods: a.methods, samples: a.samples, batch: a.batch,
      epochs: a.epochs, lr: LR, threshold: THRESHOLD, diveqNoise: DIVEQ_NOISE, maxSteps: a.maxSteps,
      curveSamples: a.maxSteps ? 0 : CURVE_SAMPLES, keepCodebook: d === 'swiss-roll' && s === 1 && b === 8,
    });
  }
  const base = a.tag ? `toy-${a.tag}` : 'toy';
  // Seed-major order (seed 1 of every data set and rate first, larger rates first), so that an
  // interrupted run still has complete tables for its first seeds; each result is appended to
  // <base>-partial.jsonl as it arrives.
  const partialFile = path.join(dir, `${base}-partial.jsonl`);
  let results: ToyJobResult[];
  let wall: number, cpu: number, workerCpu: number;
  let note = '';
  if (a.fromPartial) {
    const lines = readFileSync(a.fromPartial, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { header?: { command: string; started: string }; result?: ToyJobResult; elapsed?: number });
    const header = lines.find((l) => l.header)?.header;
    const got = new Map<number, ToyJobResult>();
    let lastElapsed = 0;
    for (const l of lines) if (l.result) {
      got.set(l.result.id, l.result);
      lastElapsed = Math.max(lastElapsed, l.elapsed ?? 0);
    }
    const complete = a.seeds.filter((s) => jobs.every((j) => j.seed !== s || got.has(j.id)));
    const missing = a.seeds.filter((s) => !complete.includes(s));
    if (complete.length === 0) throw new Error('no seed is complete in the partial results');
    note = `Interrupted run of \`${header?.command ?? '?'}\` (started ${header?.started ?? '?'}): this report is built from its \`${path.basename(a.fromPartial)}\` with the ${complete.length} seed(s) complete for every data set and rate (${complete.join(', ')}); seed(s) ${missing.join(', ')} did not finish. Wall and CPU times below are those of the interrupted run up to its last finished job (CPU: all finished jobs).`;
    a.seeds = complete;
    const keep = jobs.filter((j) => complete.includes(j.seed));
    jobs.length = 0;
    jobs.push(...keep);
    results = jobs.map((j) => got.get(j.id) as ToyJobResult);
    workerCpu = [...got.values()].reduce((s, r) => s + r.cpuSeconds, 0);
    wall = lastElapsed;
    cpu = workerCpu;
  } else {
    const log = a.maxSteps === undefined;
    if (log) writeFileSync(partialFile, JSON.stringify({ header: { command, started: new Date().toISOString(), jobs: jobs.length } }) + '\n');
    results = await runToyJobs(jobs, a.threads, 'toy study', {
      order: (x, y) => x.seed - y.seed || y.bits - x.bits || x.id - y.id,
      onResult: (r) => log && appendFileSync(partialFile, JSON.stringify({ result: { ...r, results: r.results }, elapsed: (performance.now() - t0) / 1000, cpu_main: mainCpu() }) + '\n'),
    });
    wall = (performance.now() - t0) / 1000;
    workerCpu = results.reduce((s, r) => s + r.cpuSeconds, 0);
    cpu = mainCpu(); // process-wide: includes the worker threads
  }

  if (a.maxSteps !== undefined) {
    const full = jobs.reduce((s, j) => s + toySteps(j.samples, j.batch, j.epochs), 0);
    const ran = jobs.reduce((s, j) => s + jobSteps(j), 0);
    console.log(`probe: ${ran}/${full} steps (${jobs.length} jobs × ${a.methods.length} methods): wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s → full profile ≈ ${((workerCpu * full) / ran / 60).toFixed(1)} CPU-min, ≈ ${((wall * full) / ran / 60).toFixed(1)} min wall at this load (evaluation included once per job, so slightly pessimistic)`);
    return;
  }

  const rows: Row[] = [];
  for (const d of a.datasets) for (const b of a.bits) for (const m of a.methods) {
    const rs = jobs.map((j, i) => ({ j, r: results[i] })).filter(({ j }) => j.dataset === d && j.bits === b).map(({ r }) => r.results.find((x) => x.method === m));
    const ok = rs.filter((x): x is NonNullable<typeof x> => !!x);
    const row: Row = {
      dataset: d, bits: b, method: m,
      mse_mean: mean(ok.map((x) => x.mse)), mse_std: std(ok.map((x) => x.mse)), mse_per_seed: ok.map((x) => x.mse),
      dead_mean: mean(ok.map((x) => x.dead)), dead_max: Math.max(...ok.map((x) => x.dead)), replaced_mean: mean(ok.map((x) => x.replaced)),
    };
    if (m === 'SF-DiVeQ') row.curve_mse_mean = mean(ok.map((x) => x.curveMse ?? NaN));
    if ((PAPER_METHODS as readonly string[]).includes(m) && PAPER_TABLE2[b]) {
      const p = PAPER_TABLE2[b][m as PaperMethod];
      row.paper_mean = p.mean[d];
      row.paper_std = p.std[d];
      row.ratio_to_paper = row.mse_mean / p.mean[d];
    }
    rows.push(row);
  }
  const meta = {
    note: note || undefined,
    command, wall_seconds: +wall.toFixed(1), cpu_seconds: +cpu.toFixed(1), threads: a.threads, cpus: os.cpus().length,
    load_average_start: load, load_average_end: os.loadavg(), date: new Date().toISOString(), node: process.version,
    profile: { samples: a.samples, batch: a.batch, epochs: a.epochs, steps: toySteps(a.samples, a.batch, a.epochs) },
    lr: LR, replacement_threshold: THRESHOLD, beta: 0.25, diveq_noise_std: DIVEQ_NOISE, seeds: a.seeds, methods: a.methods,
    datasets: a.datasets, bits: a.bits, params: Object.fromEntries(a.datasets.map((d) => [d, CALIBRATED[d]])),
    mse: 'mean over elements (per dimension) of (x − Q(x))², Q = nearest codeword, whole data set',
    job_seconds: jobs.map((j, i) => ({ dataset: j.dataset, seed: j.seed, bits: j.bits, wall: +results[i].wallSeconds.toFixed(1), cpu: +results[i].cpuSeconds.toFixed(1) })),
  };
  writeFileSync(path.join(dir, `${base}.json`), JSON.stringify({ ...meta, rows }, null, 1) + '\n');
  if (!a.fromPartial && existsSync(partialFile)) rmSync(partialFile); // complete: the partial log is no longer needed
  const md = (note ? `> ${note}\n\n` : '') + markdown(rows, a, { command, wall, cpu, load });
  writeFileSync(path.join(dir, `${base}.md`), md);
  const svgJob = jobs.findIndex((j) => j.keepCodebook);
  if (svgJob >= 0) {
    const books: Partial<Record<ToyMethod, number[]>> = {};
    for (const r of results[svgJob].results) if (r.codebook) books[r.method] = r.codebook;
    const data = toyData('swiss-roll', a.samples, new Rng(toySeed('data', 'swiss-roll', 1)), CALIBRATED['swiss-roll']);
    writeFileSync(path.join(dir, `${base}-swissroll-8bit.svg`), await codebookSvg(data, books, 'Final 8-bit codebooks, swiss-roll (seed 1)'));
  }
  console.log(md);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
