/**
 * `nsvq-codec eval` as a library call: resolve the systems (codec models and external codecs),
 * scan the data folder, evaluate every file × system × bitrate in parallel, and write the report
 * folder (report.json, report.md, results.csv, pesq/psnr/stoi/estoi.svg). See docs/eval.md.
 */
import { constants as fsConstants, existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { displayPath } from '../util/display-path.js';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { BITRATES, parseBitrate, type Bitrate } from '../coding/modes.js';
import { loadModel } from '../model/codec-model.js';
import { parseExternalSpec } from './external-codec.js';
import { scanAudioFiles } from '../audio/scan.js';
import { EVAL_SAMPLE_RATE, type EvalJobConfig, type EvalLoss, type SystemConfig } from './eval-file.js';
import { evaluateFiles } from './eval-pool.js';
import { createEvalProgress } from './eval-progress.js';
import { buildReport, type EvalError, type EvalReport, type EvalRow, type EvalSystem } from './report.js';
import { writeReportFolder } from './report-write.js';

export interface EvalOptions {
  dataDir: string;
  outDir: string;
  /** --model values: 'DIR' or 'NAME=DIR'. Empty/absent: the shipped model, named 'default'. */
  models?: string[];
  /** --external values: "NAME=CMD {bitrate} {in} {out}". */
  externals?: string[];
  /** --bitrates: 'all' or a comma list ('8000,13.2k'). Default all six. */
  bitrates?: string;
  jobs?: number;
  limit?: number;
  externalTimeoutMs?: number;
  /** --loss: also score every model under these random loss rates (each a system `NAME@loss3%`). */
  lossRates?: number[];
  /** --loss-burst: Gilbert bursts of this mean length instead of independent losses. */
  lossBurst?: number;
  /** --loss-seed (default 1). */
  lossSeed?: number;
  /** Progress display: undefined = auto (bar on a TTY, plain lines otherwise). */
  progress?: { tty?: boolean; intervalMs?: number; quiet?: boolean };
}

export interface EvalOutcome {
  report: EvalReport;
  written: string[];
}

/** Parse --bitrates ('all' or comma separated, any form parseBitrate accepts); sorted, unique. */
export function parseBitrateList(text: string | undefined): Bitrate[] {
  if (text === undefined || text.trim().toLowerCase() === 'all' || text.trim() === '') return [...BITRATES];
  const set = new Set<Bitrate>();
  for (const part of text.split(',')) {
    const t = part.trim();
    if (t) set.add(parseBitrate(t));
  }
  if (set.size === 0) throw new UserError(`--bitrates: no bitrate given in '${text}'`);
  return [...set].sort((a, b) => a - b);
}

const LABEL_RE = /^([A-Za-z0-9][A-Za-z0-9_.+-]*)=(.+)$/;

/** Parse one --model value: 'NAME=DIR' (unless the whole text is an existing path) or 'DIR' (named after the folder). DIR may also be a model file. */
export function parseModelArg(text: string): { name: string; dir: string } {
  const m = LABEL_RE.exec(text);
  if (m && !existsSync(text)) return { name: m[1], dir: m[2] };
  const name = path.basename(path.resolve(text));
  return { name, dir: text };
}

/** System name of a model under loss: 'default@loss3%', with bursts 'default@loss10%b3'. */
export function lossSystemName(model: string, loss: EvalLoss): string {
  const pct = Number((loss.rate * 100).toPrecision(6));
  return `${model}@loss${pct}%${loss.meanBurst !== undefined ? `b${loss.meanBurst}` : ''}`;
}

/** Add, after each model system, one variant per loss rate (same model, decoded under that loss). */
export function withLossVariants(base: { systems: EvalSystem[]; configs: SystemConfig[] }, rates: number[], meanBurst: number | undefined, seed: number): { systems: EvalSystem[]; configs: SystemConfig[] } {
  const systems: EvalSystem[] = [];
  const configs: SystemConfig[] = [];
  base.configs.forEach((c, i) => {
    systems.push(base.systems[i]);
    configs.push(c);
    if (c.kind !== 'model') return;
    for (const rate of rates) {
      const loss: EvalLoss = meanBurst !== undefined ? { rate, meanBurst, seed } : { rate, seed };
      const name = lossSystemName(c.name, loss);
      systems.push({ ...base.systems[i], name, loss });
      configs.push({ ...c, name, loss });
    }
  });
  return { systems, configs };
}

/** Resolve models (loading each once here, to fail early and to learn its id) and external codecs. */
export function resolveSystems(models: string[] | undefined, externals: string[] | undefined): { systems: EvalSystem[]; configs: SystemConfig[] } {
  const systems: EvalSystem[] = [];
  const configs: SystemConfig[] = [];
  const seen = new Set<string>();
  const claim = (name: string): void => {
    if (seen.has(name)) throw new UserError(`two systems are named '${name}'; label them with NAME=DIR`);
    seen.add(name);
  };
  const modelArgs = models ?? [];
  if (modelArgs.length === 0) {
    const m = loadModel();
    claim('default');
    systems.push({ name: 'default', kind: 'model', id: m.id });
    configs.push({ kind: 'model', name: 'default', id: m.id });
  }
  for (const arg of modelArgs) {
    const { name, dir } = parseModelArg(arg);
    const abs = path.resolve(dir);
    if (!existsSync(abs)) throw new UserError(`--model ${arg}: not found: ${dir}`);
    const m = loadModel(abs);
    claim(name);
    systems.push({ name, kind: 'model', id: m.id, source: abs });
    configs.push({ kind: 'model', name, id: m.id, dir: abs });
  }
  for (const text of externals ?? []) {
    const spec = parseExternalSpec(text);
    claim(spec.name);
    systems.push({ name: spec.name, kind: 'external', id: '', source: spec.command });
    configs.push({ kind: 'external', name: spec.name, command: spec.command });
  }
  return { systems, configs };
}

/** This package's version, found by walking up from this module to nsvq-codec's package.json. */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nsvq-codec' && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export function defaultJobs(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Create the report folder before the (long) run, so a bad --out fails in a second, not at the end. */
async function prepareOutDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fsConstants.W_OK);
  } catch (err) {
    throw new UserError(`cannot write the report folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function runEval(opts: EvalOptions): Promise<EvalOutcome> {
  const bitrates = parseBitrateList(opts.bitrates);
  const jobs = opts.jobs ?? defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a positive integer, got ${opts.jobs}`);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw new UserError(`--limit must be a positive integer, got ${opts.limit}`);
  const rates = opts.lossRates ?? [];
  for (const r of rates) if (!(r >= 0 && r < 1)) throw new UserError(`--loss rates must be in [0, 1), got ${r}`);
  if (opts.lossBurst !== undefined && rates.length === 0) throw new UserError('--loss-burst needs --loss (the overall loss rates)');
  if (opts.lossSeed !== undefined && rates.length === 0) throw new UserError('--loss-seed needs --loss');
  const { systems, configs } = withLossVariants(resolveSystems(opts.models, opts.externals), [...new Set(rates)], opts.lossBurst, opts.lossSeed ?? 1);
  await prepareOutDir(opts.outDir);

  let files = await scanAudioFiles(opts.dataDir);
  if (files.length === 0) throw new UserError(`no audio files (${['wav', 'flac', 'ogg', 'mp3'].join(', ')}) under ${opts.dataDir}`);
  if (opts.limit !== undefined) files = files.slice(0, opts.limit);

  const cfg: EvalJobConfig = { systems: configs, bitrates, externalTimeoutMs: opts.externalTimeoutMs };
  const progress = createEvalProgress(files.length * configs.length * bitrates.length, files.length, opts.progress);
  const rows: EvalRow[] = [];
  const errors: EvalError[] = [];
  try {
    await evaluateFiles(files, cfg, Math.min(jobs, files.length), {
      onStep: () => progress.step(),
      onFileDone: (_f, r) => {
        rows.push(...r.rows);
        errors.push(...r.errors);
        for (const e of r.errors) {
          const where = [e.model, e.bitrate !== undefined ? `${e.bitrate} bit/s` : undefined].filter(Boolean).join(' @ ');
          progress.log(`nsvq-codec eval: ${e.file}${where ? ` (${where})` : ''}: ${e.message}`);
        }
        progress.fileDone();
      },
    });
  } finally {
    progress.stop();
  }

  const report = buildReport({
    version: packageVersion(),
    dataDir: displayPath(opts.dataDir),
    sampleRate: EVAL_SAMPLE_RATE,
    files: files.map((f) => f.rel),
    systems,
    bitrates,
    rows,
    errors,
  });
  const written = await writeReportFolder(opts.outDir, report);
  return { report, written };
}
