/**
 * The evaluation report's data model and its aggregation (DESIGN §4 "Reports"; issue 7).
 *
 * A report holds one row per file × model × bitrate, and a summary per model × bitrate ×
 * metric with the mean, median and 2.5 % / 97.5 % quantiles (type 7, see quantiles.ts), which
 * is what the paper's Figure 1 plots. Rows and summaries are always in a deterministic order
 * (files sorted, models in the order given, bitrates ascending), whatever order the worker
 * threads finished in, so two runs on the same data give the same report apart from timings.
 */
import { summarize, type Summary } from './quantiles.js';

export const METRICS = ['pesq', 'psnr', 'stoi', 'estoi'] as const;
export type MetricName = (typeof METRICS)[number];

/** Axis / table labels for each metric. */
export const METRIC_LABELS: Record<MetricName, string> = {
  pesq: 'WB-PESQ (MOS-LQO)',
  psnr: 'pSNR (dB)',
  stoi: 'STOI',
  estoi: 'ESTOI',
};

/** Decimal places used in the Markdown tables (JSON and CSV keep full precision). */
export const METRIC_DECIMALS: Record<MetricName, number> = { pesq: 3, psnr: 2, stoi: 4, estoi: 4 };

/**
 * Published NSVQ means from the paper (Vali & Bäckström, IEEE Access 2022, Figure 1; DESIGN §4
 * "Targets to beat"), LibriSpeech test set, by bitrate in bit/s. Their test set and signal chain
 * are not ours, so these are a reference point, not a like-for-like comparison.
 */
export const PAPER_NSVQ_STOI: Readonly<Record<number, number>> = {
  8000: 0.907, 9600: 0.925, 13200: 0.952, 16400: 0.967, 24400: 0.985, 32000: 0.992,
};

/** The paper's published NSVQ mean WB-PESQ (same source and caveat as PAPER_NSVQ_STOI). */
export const PAPER_NSVQ_PESQ: Readonly<Record<number, number>> = {
  8000: 2.47, 9600: 2.68, 13200: 3.05, 16400: 3.3, 24400: 3.74, 32000: 4.01,
};

/** The paper's published values per metric, where it has them. */
export const PAPER_NSVQ: Partial<Record<MetricName, Readonly<Record<number, number>>>> = {
  pesq: PAPER_NSVQ_PESQ,
  stoi: PAPER_NSVQ_STOI,
};

/** One system under test: an NSVQ codec model, or an external codec command. */
export interface EvalSystem {
  /** Label in tables, CSV and chart legends; unique within a report. */
  name: string;
  kind: 'model' | 'external';
  /** Model id (16 hex chars, sha256 of the model file) for kind 'model'; '' for external codecs. */
  id: string;
  /** Model directory (kind 'model'; absent for the shipped default) or shell command template (kind 'external'). */
  source?: string;
  /** Simulated packet loss (kind 'model' with `eval --loss`): rate, mean burst length for Gilbert bursts, seed. */
  loss?: { rate: number; meanBurst?: number; seed: number };
}

/** One scored round trip. */
export interface EvalRow {
  /** Path relative to the data folder, '/'-separated. */
  file: string;
  model: string;
  modelId: string;
  /** Bitrate mode in bit/s. */
  bitrate: number;
  /** Alignment lag in samples at 16 kHz (decoded[n + lag] matches reference[n]). */
  lag: number;
  psnr: number;
  stoi: number;
  estoi: number;
  /** WB-PESQ MOS-LQO. */
  pesq: number;
  /** Duration of the (16 kHz) reference in seconds. */
  seconds: number;
  /** Wall-clock seconds spent on the round trip and scoring (timing only; varies run to run). */
  elapsed: number;
}

/** A file (or one file × system × rate) that could not be scored. */
export interface EvalError {
  file: string;
  model?: string;
  bitrate?: number;
  message: string;
}

/** One system's statistics of one metric at one rate (the quantiles of quantiles.ts). */
export interface EvalSummary extends Summary {
  model: string;
  bitrate: number;
  metric: MetricName;
}

export interface EvalReport {
  tool: string;
  version: string;
  /** ISO time the run finished. */
  created: string;
  dataDir: string;
  sampleRate: number;
  quantileMethod: string;
  /** Files found (after --limit), files with at least one scored row. */
  files: number;
  filesScored: number;
  systems: EvalSystem[];
  bitrates: number[];
  metrics: MetricName[];
  summaries: EvalSummary[];
  rows: EvalRow[];
  errors: EvalError[];
}

export const QUANTILE_METHOD =
  'Hyndman-Fan type 7 (linear interpolation between order statistics, as R and NumPy default): h = (n-1)p, Q = v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h])';

/** Order rows by file order, then system order, then bitrate. */
export function sortRows(rows: EvalRow[], fileOrder: string[], systems: EvalSystem[]): EvalRow[] {
  const fi = new Map(fileOrder.map((f, i) => [f, i]));
  const si = new Map(systems.map((s, i) => [s.name, i]));
  const key = (r: EvalRow, m: Map<string, number>, k: string): number => m.get(k) ?? Number.MAX_SAFE_INTEGER;
  return [...rows].sort((a, b) =>
    key(a, fi, a.file) - key(b, fi, b.file)
    || key(a, si, a.model) - key(b, si, b.model)
    || a.bitrate - b.bitrate);
}

/**
 * Summaries for every system × bitrate × metric that has at least one row, in system order,
 * then bitrate, then metric (METRICS order).
 */
export function summarizeRows(rows: EvalRow[], systems: EvalSystem[], bitrates: number[]): EvalSummary[] {
  const out: EvalSummary[] = [];
  for (const s of systems) {
    for (const b of bitrates) {
      const sel = rows.filter((r) => r.model === s.name && r.bitrate === b);
      if (sel.length === 0) continue;
      for (const metric of METRICS) {
        out.push({ model: s.name, bitrate: b, metric, ...summarize(sel.map((r) => r[metric])) });
      }
    }
  }
  return out;
}

export interface BuildReportInput {
  version: string;
  dataDir: string;
  sampleRate: number;
  files: string[];
  systems: EvalSystem[];
  bitrates: number[];
  rows: EvalRow[];
  errors: EvalError[];
  created?: Date;
}

/** Assemble a report: order rows, compute summaries. */
export function buildReport(inp: BuildReportInput): EvalReport {
  const bitrates = [...inp.bitrates].sort((a, b) => a - b);
  const rows = sortRows(inp.rows, inp.files, inp.systems);
  const fi = new Map(inp.files.map((f, i) => [f, i]));
  const errors = [...inp.errors].sort((a, b) =>
    (fi.get(a.file) ?? 1e15) - (fi.get(b.file) ?? 1e15) || (a.bitrate ?? 0) - (b.bitrate ?? 0));
  return {
    tool: 'nsvq-codec eval',
    version: inp.version,
    created: (inp.created ?? new Date()).toISOString(),
    dataDir: inp.dataDir,
    sampleRate: inp.sampleRate,
    quantileMethod: QUANTILE_METHOD,
    files: inp.files.length,
    filesScored: new Set(rows.map((r) => r.file)).size,
    systems: inp.systems,
    bitrates,
    metrics: [...METRICS],
    summaries: summarizeRows(rows, inp.systems, bitrates),
    rows,
    errors,
  };
}

/** Look up one summary (undefined when that system × rate had no scored rows). */
export function findSummary(report: EvalReport, model: string, bitrate: number, metric: MetricName): EvalSummary | undefined {
  return report.summaries.find((s) => s.model === model && s.bitrate === bitrate && s.metric === metric);
}
