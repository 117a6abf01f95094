/**
 * The paper's Fig. 1 in the codec (issue 13 part 1): one 12-bit envelope stage at all six modes,
 * trained end to end from the same data start with each estimator, several seeds, then scored on
 * LibriSpeech test-other at every rate (WB-PESQ, pSNR, STOI).
 *
 *   npm run bench:fig1 -- [--estimators nsvq,ste] [--seeds 1,2,3] [--points 5ep,es]
 *                         [--parallel 2] [--es-epochs 20] [--patience 6] [--report-only]
 *
 * Two points per run:
 *   5ep  5 epochs over the training speech (the paper's budget); the final model.
 *   es   the 5-epoch run continued (--resume, same data order; the codebook-replacement schedule
 *        of the 5 epochs has ended) until the validation has not improved for --patience
 *        validations (every 50 steps), at most --es-epochs epochs; the best-validation model.
 *
 * Every estimator gets the same data, data order, initial model (--init data, same seed), batch,
 * learning rate, validation schedule and budget. Runs are resumable: trained models and
 * evaluations already present are reused (models and per-run eval reports live in the gitignored
 * bench/fig1-models/). Training and evaluation are child processes of the built CLI, at most
 * --parallel at a time, each single-threaded.
 *
 * Writes bench/results/fig1.json, fig1.md and fig1-<point>-<metric>.svg.
 */
import { renderSpecSvg } from '../src/eval/charts.js';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as vl from 'vega-lite';
import { loadModel } from '../src/model/codec-model.js';
import type { EvalReport } from '../src/eval/report.js';
import { bandSummaries, pairedSummaries, FIG1_METRICS, type BandSummary, type Fig1Metric, type Fig1Score, type PairedSummary } from './fig1-analysis.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'nsvq-codec.js');
/** Paths as passed to the CLI (cwd = ROOT) and printed in the report: relative, no machine path. */
const TRAIN_DATA = ['../shared/speech/LibriSpeech/train-clean-100', '../shared/speech/LJSpeech'];
const TEST_DATA = '../shared/speech/LibriSpeech/test-other';
const MODELS = 'bench/fig1-models';
const RESULTS = 'bench/results';
const VALIDATE_EVERY = 50;

/** The paper's Fig. 1 statements (Section V), single 12-bit stage, 5 epochs over 100 h. */
const PAPER = {
  psnrGainDb: { from: 0.43, to: 0.79, note: 'NSVQ − STE mean pSNR, rising from 8 to 32 kbit/s' },
  shareHigher: { pesq: 0.86, psnr: 0.84, stoi: 0.76 } as Record<Fig1Metric, number>,
};

type Point = '5ep' | 'es';

interface Args {
  estimators: string[];
  seeds: number[];
  points: Point[];
  parallel: number;
  esEpochs: number;
  patience: number;
  reportOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { estimators: ['nsvq', 'ste'], seeds: [1, 2, 3], points: ['5ep', 'es'], parallel: 1, esEpochs: 20, patience: 6, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--estimators') a.estimators = v().split(',').filter(Boolean);
    else if (k === '--seeds') a.seeds = v().split(',').map(Number);
    else if (k === '--points') a.points = v().split(',').filter((p): p is Point => p === '5ep' || p === 'es');
    else if (k === '--parallel') a.parallel = Number(v());
    else if (k === '--es-epochs') a.esEpochs = Number(v());
    else if (k === '--patience') a.patience = Number(v());
    else if (k === '--report-only') a.reportOnly = true;
    else throw new Error(`unknown option ${k}`);
  }
  // Without nsvq the report has no paired comparisons (useful to train/evaluate other estimators
  // alone while another bench process handles NSVQ; the final report names them all).
  return a;
}

/** A counting semaphore: at most `n` child processes at once, served first come first served. */
class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];
  constructor(n: number) { this.free = n; }
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.queue.push(r));
    try {
      return await f();
    } finally {
      const next = this.queue.shift();
      if (next) next(); else this.free++;
    }
  }
}

function runCli(args: string[], logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    mkdirSync(path.dirname(logFile), { recursive: true });
    writeFileSync(logFile, `$ nsvq-codec ${args.join(' ')}\n`, { flag: 'a' });
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (d: Buffer): void => writeFileSync(logFile, d, { flag: 'a' });
    p.stdout.on('data', append);
    p.stderr.on('data', append);
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`nsvq-codec ${args[0]} failed (exit ${code}); see ${logFile}`));
      else resolve((performance.now() - t0) / 1000);
    });
  });
}

interface Card {
  modelId: string;
  steps: number;
  epochsDone: number;
  stoppedBy: string;
  wallSeconds: number;
  settings: { patience?: number };
  bestMeanBitsPerFrame?: number;
  validation: { modes: { bitsPerFrame: number; lsdDb: number }[]; perplexity: number[] } | null;
}

function readCard(dir: string): Card | null {
  const f = path.join(ROOT, dir, 'model-card.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) as Card : null;
}

const runName = (est: string, seed: number, point: Point): string => `${est}-s${seed}-${point}`;
const runDir = (est: string, seed: number, point: Point): string => `${MODELS}/${runName(est, seed, point)}`;
/** The model each point evaluates: the final 5-epoch model, or the early-stopping run's best/. */
const modelDir = (est: string, seed: number, point: Point): string => point === '5ep' ? runDir(est, seed, point) : `${runDir(est, seed, point)}/best`;

function trainArgs(est: string, seed: number, out: string): string[] {
  return [
    'train', '--data', ...TRAIN_DATA, '--out', out, '--estimator', est, '--stages', '1', '--bits-per-stage', '12',
    '--epochs', '5', '--seed', String(seed), '--init', 'data', '--threads', '1', '--validate-every', String(VALIDATE_EVERY),
  ];
}

/** The 5-epoch run; reused when its card says it finished its epochs, resumed when checkpointed. */
async function train5(est: string, seed: number): Promise<void> {
  const dir = runDir(est, seed, '5ep');
  const card = readCard(dir);
  if (card && card.stoppedBy === 'epochs' && card.settings.patience === undefined) return;
  const resume = existsSync(path.join(ROOT, dir, 'checkpoint.nsvqc'));
  process.stderr.write(`train ${runName(est, seed, '5ep')}${resume ? ' (resume)' : ''}\n`);
  await runCli([...trainArgs(est, seed, dir), ...(resume ? ['--resume'] : [])], path.join(ROOT, `${dir}.log`));
}

/** The early-stopping continuation of the 5-epoch run (a copy of it, resumed with --patience). */
async function trainEs(est: string, seed: number, a: Args): Promise<void> {
  const dir = runDir(est, seed, 'es');
  const card = readCard(dir);
  if (card && card.settings.patience !== undefined && (card.stoppedBy === 'patience' || card.stoppedBy === 'epochs')) return;
  if (!existsSync(path.join(ROOT, dir))) cpSync(path.join(ROOT, runDir(est, seed, '5ep')), path.join(ROOT, dir), { recursive: true });
  process.stderr.write(`train ${runName(est, seed, 'es')}\n`);
  const args = trainArgs(est, seed, dir);
  args[args.indexOf('--epochs') + 1] = String(a.esEpochs);
  await runCli([...args, '--patience', String(a.patience), '--resume'], path.join(ROOT, `${dir}.log`));
}

interface EvalTiming { modelId: string; wallSeconds: number }

async function evaluate(est: string, seed: number, point: Point): Promise<void> {
  const name = runName(est, seed, point);
  const out = `${MODELS}/eval/${name}`;
  const id = loadModel(path.join(ROOT, modelDir(est, seed, point))).id;
  const timing = path.join(ROOT, out, 'bench-timing.json');
  if (existsSync(timing) && (JSON.parse(readFileSync(timing, 'utf8')) as EvalTiming).modelId === id) return;
  process.stderr.write(`eval ${name}\n`);
  const wallSeconds = await runCli(['eval', '-d', TEST_DATA, '-o', out, '-m', `${name}=${modelDir(est, seed, point)}`, '-j', '1'], path.join(ROOT, `${out}.log`));
  writeFileSync(timing, JSON.stringify({ modelId: id, wallSeconds } satisfies EvalTiming) + '\n');
}

interface RunInfo {
  estimator: string;
  seed: number;
  point: Point;
  modelId: string;
  /** Steps of the evaluated model, the run's steps and why it stopped. */
  modelSteps: number;
  runSteps: number;
  stoppedBy: string;
  /** Trainer's own wall count (training loop, not feature extraction), whole run. */
  trainWallSeconds: number;
  evalWallSeconds: number | null;
  /** Mean validation spectrum bits/frame of the evaluated model and its envelope LSD. */
  validationBits: number | null;
  validationLsdDb: number | null;
}

function collect(a: Args): { scores: Map<Point, Fig1Score[]>; runs: RunInfo[]; missing: string[] } {
  const scores = new Map<Point, Fig1Score[]>();
  const runs: RunInfo[] = [];
  const missing: string[] = [];
  for (const point of a.points) {
    const list: Fig1Score[] = [];
    for (const est of a.estimators) {
      for (const seed of a.seeds) {
        const name = runName(est, seed, point);
        const reportFile = path.join(ROOT, MODELS, 'eval', name, 'report.json');
        const timingFile = path.join(ROOT, MODELS, 'eval', name, 'bench-timing.json');
        const runCard = readCard(runDir(est, seed, point));
        const modelCard = readCard(modelDir(est, seed, point));
        if (!existsSync(reportFile) || !runCard || !modelCard) { missing.push(name); continue; }
        const report = JSON.parse(readFileSync(reportFile, 'utf8')) as EvalReport;
        if (report.systems[0]?.id !== modelCard.modelId) { missing.push(`${name} (stale evaluation)`); continue; }
        for (const r of report.rows) list.push({ estimator: est, seed, file: r.file, bitrate: r.bitrate, pesq: r.pesq, psnr: r.psnr, stoi: r.stoi });
        const modes = modelCard.validation?.modes ?? [];
        runs.push({
          estimator: est, seed, point, modelId: modelCard.modelId, modelSteps: modelCard.steps, runSteps: runCard.steps, stoppedBy: runCard.stoppedBy,
          trainWallSeconds: runCard.wallSeconds,
          evalWallSeconds: existsSync(timingFile) ? Math.round((JSON.parse(readFileSync(timingFile, 'utf8')) as EvalTiming).wallSeconds) : null,
          validationBits: modes.length ? modes.reduce((s, m) => s + m.bitsPerFrame, 0) / modes.length : null,
          validationLsdDb: modes.length ? modes[0].lsdDb : null,
        });
      }
    }
    scores.set(point, list);
  }
  return { scores, runs, missing };
}

const LABEL: Record<Fig1Metric, string> = { pesq: 'WB-PESQ', psnr: 'pSNR (dB)', stoi: 'STOI' };
const DEC: Record<Fig1Metric, number> = { pesq: 3, psnr: 2, stoi: 4 };
const DASH: Record<string, number[]> = { nsvq: [6, 3], ste: [1, 3] };
const POINT_TITLE: Record<Point, string> = { '5ep': '5 epochs', es: 'early stopping (best validation)' };

function chartSpec(bands: BandSummary[], metric: Fig1Metric, point: Point, estimators: string[]): vl.TopLevelSpec {
  const data = bands.filter((b) => b.metric === metric).map((b) => ({ estimator: b.estimator.toUpperCase(), kbps: b.bitrate / 1000, mean: b.mean, q025: b.q025, q975: b.q975 }));
  const names = estimators.map((e) => e.toUpperCase());
  const kbps = [...new Set(data.map((d) => d.kbps))].sort((x, y) => x - y);
  const x = { field: 'kbps', type: 'quantitative' as const, title: 'bitrate (kbit/s)', scale: { domain: [Math.min(...kbps), Math.max(...kbps)], nice: false }, axis: { values: kbps, grid: true, format: '.4~g' } };
  const color = { field: 'estimator', type: 'nominal' as const, title: 'estimator', scale: { domain: names } };
  const strokeDash = { field: 'estimator', type: 'nominal' as const, title: 'estimator', scale: { domain: names, range: estimators.map((e, i) => DASH[e] ?? [[4, 2, 1, 2], [8, 2], [2, 2]][i % 3]) } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${LABEL[metric]}: one 12-bit envelope stage, ${POINT_TITLE[point]}`, subtitle: 'test-other, 50 files × seeds: mean (line) and 2.5–97.5 % quantiles (band); STE dotted, NSVQ dashed' },
    width: 480,
    height: 300,
    config: { legend: { symbolOpacity: 1 } },
    data: { values: data },
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'q025', type: 'quantitative', title: LABEL[metric], scale: { zero: false } }, y2: { field: 'q975' }, color } },
      { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: LABEL[metric] }, color, strokeDash } },
    ],
  };
}

const pct = (x: number): string => `${Math.round(100 * x)} %`;
const signed = (x: number, d: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;

function markdown(a: Args, bands: Map<Point, BandSummary[]>, paired: Map<Point, PairedSummary[]>, runs: RunInfo[], missing: string[], commands: string[]): string {
  const L: string[] = [];
  L.push('# Fig. 1 in the codec: one 12-bit envelope stage, NSVQ vs STE (issue 13)', '');
  L.push(`Estimators: ${a.estimators.map((e) => e.toUpperCase()).join(', ')}; seeds ${a.seeds.join(', ')}. Written by \`npm run bench:fig1\` (bench/fig1.ts); numbers below are from these runs only.`, '');
  if (missing.length) L.push(`**Incomplete:** no evaluated model yet for ${missing.join(', ')}.`, '');
  L.push('## Setup', '');
  L.push(`- Model: one 12-bit MSVQ stage used at all six modes (\`--stages 1\`, stage table 1/1/1/1/1/1); every other bit of the frame goes to the spectrum. A, B, θ and the codebook trained jointly (Adam, lr 10⁻³, batch 1024), codebook replacement at 1 % (every estimator alike, the trainer's schedule). STE: codebook loss + β = 0.25 × commitment; DiVeQ, SF-DiVeQ (the codec still quantises to the nearest codeword) and the rotation trick as in docs/vq.md ("In the trainer").`);
  L.push(`- Data: ${TRAIN_DATA.map((d) => `\`${d}\``).join(' + ')} (≈ 69 min; 5 % of speakers held out for validation); test: \`${TEST_DATA}\` (50 files), every rate. The paper trained on 100 h.`);
  L.push('- Same start for every estimator within a seed: `--init data --seed s` draws the same codebook from the same frames and the same data order; seeds differ in both.');
  L.push(`- Points: **5ep** = final model after 5 epochs (the paper's budget). **es** = the 5-epoch run continued with \`--resume --patience ${a.patience}\` (validation every ${VALIDATE_EVERY} steps, at most ${a.esEpochs} epochs; the replacement schedule of the 5 epochs has ended) and the best-validation model (\`best/\`), i.e. trained until its validation (spectrum bits/frame) stopped improving.`);
  L.push('- Bands: 2.5–97.5 % quantiles (type 7) of the per-file scores pooled over seeds (n = 50 × seeds per rate). Paired comparisons: NSVQ seed s vs the other estimator seed s on the same file and rate.', '');
  for (const point of a.points) {
    const bs = bands.get(point) ?? [];
    const ps = paired.get(point) ?? [];
    if (bs.length === 0) continue;
    L.push(`## ${POINT_TITLE[point]} (${point})`, '');
    for (const metric of FIG1_METRICS) {
      L.push(`### ${LABEL[metric]}: mean [2.5 %, 97.5 %] per estimator`, '');
      const rates = [...new Set(bs.map((b) => b.bitrate))].sort((x, y) => x - y);
      L.push(`| kbit/s | ${a.estimators.map((e) => e.toUpperCase()).join(' | ')} |`, `|---|${a.estimators.map(() => '---|').join('')}`);
      for (const r of rates) {
        const cells = a.estimators.map((e) => {
          const b = bs.find((x) => x.estimator === e && x.bitrate === r && x.metric === metric);
          return b ? `${b.mean.toFixed(DEC[metric])} [${b.q025.toFixed(DEC[metric])}, ${b.q975.toFixed(DEC[metric])}]` : '–';
        });
        L.push(`| ${r / 1000} | ${cells.join(' | ')} |`);
      }
      const more = a.estimators.some((e) => e !== 'nsvq' && e !== 'ste' && bs.some((x) => x.estimator === e));
      L.push('', `![${LABEL[metric]} ${point}](fig1-${point}-${metric}.svg)${more ? ` (NSVQ and STE, as the paper's Fig. 1; all estimators: [fig1-${point}-${metric}-all.svg](fig1-${point}-${metric}-all.svg))` : ''}`, '');
    }
    for (const other of a.estimators.filter((e) => e !== 'nsvq')) {
      const sel = ps.filter((p) => p.b === other);
      if (sel.length === 0) continue;
      L.push(`### NSVQ − ${other.toUpperCase()}: mean difference (per-seed means) and share of pairs where NSVQ scores higher`, '');
      L.push('| kbit/s | ΔPESQ | NSVQ higher | ΔpSNR dB | NSVQ higher | ΔSTOI | NSVQ higher |', '|---|---|---|---|---|---|---|');
      const rates = [...new Set(sel.map((p) => p.bitrate))];
      for (const r of rates) {
        const cells = FIG1_METRICS.map((m) => {
          const p = sel.find((x) => x.bitrate === r && x.metric === m);
          if (!p) return '– | –';
          return `${signed(p.meanDiff, DEC[m])} (${p.seedDiffs.map((s) => signed(s.meanDiff, DEC[m])).join(', ')}) | ${pct(p.shareHigher)}${p.shareTied > 0 ? ` (${pct(p.shareTied)} tied)` : ''}`;
        });
        L.push(`| ${r === 'all' ? '**all rates**' : r / 1000} | ${cells.join(' | ')} |`);
      }
      if (other === 'ste') {
        L.push(`| **paper** (100 h, 5 epochs) | – | ${pct(PAPER.shareHigher.pesq)} | ${signed(PAPER.psnrGainDb.from, 2)} (8k) … ${signed(PAPER.psnrGainDb.to, 2)} (32k) | ${pct(PAPER.shareHigher.psnr)} | ≈ 0 (bands overlap) | ${pct(PAPER.shareHigher.stoi)} |`);
      }
      L.push('');
    }
  }
  // Which settings favour NSVQ: the sign of the mean difference, and whether every seed agrees.
  const sign = (p: PairedSummary | undefined): string => {
    if (!p) return '–';
    const all = p.seedDiffs.map((d) => d.meanDiff);
    if (all.every((d) => d > 0)) return '**+**';
    if (all.every((d) => d < 0)) return '−';
    return p.meanDiff > 0 ? '(+)' : '(−)';
  };
  L.push('## Where NSVQ is ahead', '');
  L.push('Sign of the mean NSVQ − other difference: **+** / − = every seed agrees, (+) / (−) = the seeds disagree (sign of the mean).', '');
  const rateCols = [...new Set([...paired.values()].flat().map((p) => p.bitrate))];
  L.push(`| point | vs | metric | ${rateCols.map((r) => (r === 'all' ? 'all' : String(r / 1000))).join(' | ')} |`, `|---|---|---|${rateCols.map(() => '---|').join('')}`);
  for (const point of a.points) {
    for (const other of a.estimators.filter((e) => e !== 'nsvq')) {
      for (const m of FIG1_METRICS) {
        const ps = (paired.get(point) ?? []).filter((p) => p.b === other && p.metric === m);
        if (ps.length === 0) continue;
        L.push(`| ${point} | ${other.toUpperCase()} | ${LABEL[m]} | ${rateCols.map((r) => sign(ps.find((p) => p.bitrate === r))).join(' | ')} |`);
      }
    }
  }
  L.push('');
  L.push('## Runs', '');
  L.push('| run | evaluated model: steps | run: steps, stopped by | mean validation bits/frame | envelope LSD dB | train wall s | eval wall s |', '|---|---|---|---|---|---|---|');
  for (const r of runs) {
    L.push(`| ${runName(r.estimator, r.seed, r.point)} | ${r.modelSteps} | ${r.runSteps}, ${r.stoppedBy} | ${r.validationBits?.toFixed(2) ?? '–'} | ${r.validationLsdDb?.toFixed(3) ?? '–'} | ${r.trainWallSeconds} | ${r.evalWallSeconds ?? '–'} |`);
  }
  L.push('', 'Train wall: the trainer\'s own count for the whole run (an es run includes its 5-epoch prefix), on a shared 2-core machine where 2–6 of these single-threaded processes (training and evaluation) ran at once beside other users\' jobs, so wall times are only indicative; feature extraction is cached and not counted. Eval wall: `nsvq-codec eval -j 1` on the 50 files × 6 rates.', '');
  L.push('## Commands', '', '```', ...commands, '```', '');
  return L.join('\n');
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  if (!a.reportOnly) {
    for (const d of [...TRAIN_DATA, TEST_DATA]) {
      if (!existsSync(path.join(ROOT, d))) throw new Error(`${d} not found (the shared speech folder beside the checkout)`);
    }
    const slots = new Slots(a.parallel);
    const chains: Promise<void>[] = [];
    for (const seed of a.seeds) {
      for (const est of a.estimators) {
        chains.push((async () => {
          await slots.run(() => train5(est, seed));
          const next: Promise<void>[] = [];
          if (a.points.includes('5ep')) next.push(slots.run(() => evaluate(est, seed, '5ep')));
          if (a.points.includes('es')) next.push(slots.run(() => trainEs(est, seed, a)).then(() => slots.run(() => evaluate(est, seed, 'es'))));
          await Promise.all(next);
        })());
      }
    }
    const results = await Promise.allSettled(chains);
    for (const r of results) if (r.status === 'rejected') process.stderr.write(`${String(r.reason)}\n`);
  }
  const { scores, runs, missing } = collect(a);
  const bands = new Map<Point, BandSummary[]>();
  const paired = new Map<Point, PairedSummary[]>();
  mkdirSync(path.join(ROOT, RESULTS), { recursive: true });
  for (const point of a.points) {
    const s = scores.get(point) ?? [];
    const bs = bandSummaries(s);
    bands.set(point, bs);
    paired.set(point, a.estimators.filter((e) => e !== 'nsvq').flatMap((e) => pairedSummaries(s, 'nsvq', e)));
    if (bs.length === 0) continue;
    // Fig. 1 (a)–(c): NSVQ and STE only, as the paper; with more estimators also an "-all" chart.
    const present = a.estimators.filter((e) => bs.some((b) => b.estimator === e));
    const pair: string[] = present.filter((e) => e === 'nsvq' || e === 'ste');
    for (const metric of FIG1_METRICS) {
      writeFileSync(path.join(ROOT, RESULTS, `fig1-${point}-${metric}.svg`), await renderSpecSvg(chartSpec(bs.filter((b) => pair.includes(b.estimator)), metric, point, pair)));
      if (present.length > pair.length) {
        writeFileSync(path.join(ROOT, RESULTS, `fig1-${point}-${metric}-all.svg`), await renderSpecSvg(chartSpec(bs, metric, point, present)));
      }
    }
  }
  const example = (point: Point): string => {
    const args = trainArgs('nsvq', 1, runDir('nsvq', 1, '5ep'));
    if (point === '5ep') return `nsvq-codec ${args.join(' ')}`;
    args[args.indexOf('--out') + 1] = runDir('nsvq', 1, 'es');
    args[args.indexOf('--epochs') + 1] = String(a.esEpochs);
    return `cp -r ${runDir('nsvq', 1, '5ep')} ${runDir('nsvq', 1, 'es')} && nsvq-codec ${args.join(' ')} --patience ${a.patience} --resume`;
  };
  const commands = [
    `npm run bench:fig1 -- --estimators ${a.estimators.join(',')} --seeds ${a.seeds.join(',')} --points ${a.points.join(',')} --parallel ${a.parallel}${a.points.includes('es') ? ` --es-epochs ${a.esEpochs} --patience ${a.patience}` : ''}`,
    '# runs it makes, e.g. NSVQ seed 1 (every estimator and seed alike):',
    example('5ep'),
    ...(a.points.includes('es') ? [example('es')] : []),
    `nsvq-codec eval -d ${TEST_DATA} -o ${MODELS}/eval/nsvq-s1-5ep -m nsvq-s1-5ep=${modelDir('nsvq', 1, '5ep')} -j 1`,
  ];
  const json = {
    bench: 'fig1',
    issue: 13,
    created: new Date().toISOString(),
    settings: { ...a, reportOnly: undefined, trainData: TRAIN_DATA, testData: TEST_DATA, validateEvery: VALIDATE_EVERY, stages: 1, bitsPerStage: 12, epochs: 5, batch: 1024, lr: 1e-3, commitmentBeta: 0.25 },
    paper: PAPER,
    missing,
    runs,
    points: Object.fromEntries(a.points.map((p) => [p, { bands: bands.get(p), paired: paired.get(p) }])),
    commands,
    benchWallSeconds: Math.round((performance.now() - t0) / 1000),
  };
  writeFileSync(path.join(ROOT, RESULTS, 'fig1.json'), JSON.stringify(json, null, 1) + '\n');
  writeFileSync(path.join(ROOT, RESULTS, 'fig1.md'), markdown(a, bands, paired, runs, missing, commands));
  process.stderr.write(`wrote ${RESULTS}/fig1.{json,md}${missing.length ? `; missing: ${missing.join(', ')}` : ''}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
