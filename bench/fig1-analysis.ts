/**
 * Pure aggregation for the Fig. 1 experiment (bench/fig1.ts, issue 13): per-file scores of
 * several training runs (estimator × seed) → per-estimator means with 2.5–97.5 % quantile bands
 * pooled over seeds and files, and paired comparisons of NSVQ against each other estimator.
 *
 * Pairing: run (A, seed s) against run (B, seed s) on the same file and bitrate — the two runs
 * share data, data order and initial model, so a pair differs only by the estimator.
 */
import { mean, quantile } from '../src/eval/quantiles.js';

export const FIG1_METRICS = ['pesq', 'psnr', 'stoi'] as const;
export type Fig1Metric = (typeof FIG1_METRICS)[number];

/** One scored file of one run at one bitrate. */
export interface Fig1Score {
  estimator: string;
  seed: number;
  file: string;
  bitrate: number;
  pesq: number;
  psnr: number;
  stoi: number;
}

export interface BandSummary {
  estimator: string;
  bitrate: number;
  metric: Fig1Metric;
  /** Scores pooled over seeds and files. */
  n: number;
  mean: number;
  q025: number;
  q975: number;
  /** Mean over files of each seed, in seed order. */
  seedMeans: { seed: number; mean: number }[];
}

export interface PairedSummary {
  /** The first estimator of the difference (NSVQ in the report). */
  a: string;
  b: string;
  /** A bitrate in bit/s, or 'all' for every bitrate pooled. */
  bitrate: number | 'all';
  metric: Fig1Metric;
  /** Pairs (seed × file [× bitrate]). */
  n: number;
  /** Mean of a − b over the pairs. */
  meanDiff: number;
  /** Per seed: mean of a − b over files (and bitrates for 'all'). */
  seedDiffs: { seed: number; meanDiff: number }[];
  /** Share of pairs with a > b, a = b and a < b. */
  shareHigher: number;
  shareTied: number;
  shareLower: number;
}

/** Mean and 2.5–97.5 % band (type 7) per estimator × bitrate × metric, pooled over seeds and files. */
export function bandSummaries(scores: readonly Fig1Score[]): BandSummary[] {
  const estimators = [...new Set(scores.map((s) => s.estimator))];
  const bitrates = [...new Set(scores.map((s) => s.bitrate))].sort((x, y) => x - y);
  const out: BandSummary[] = [];
  for (const estimator of estimators) {
    for (const bitrate of bitrates) {
      const rows = scores.filter((s) => s.estimator === estimator && s.bitrate === bitrate);
      if (rows.length === 0) continue;
      const seeds = [...new Set(rows.map((r) => r.seed))].sort((x, y) => x - y);
      for (const metric of FIG1_METRICS) {
        const v = rows.map((r) => r[metric]);
        out.push({
          estimator, bitrate, metric, n: v.length, mean: mean(v), q025: quantile(v, 0.025), q975: quantile(v, 0.975),
          seedMeans: seeds.map((seed) => ({ seed, mean: mean(rows.filter((r) => r.seed === seed).map((r) => r[metric])) })),
        });
      }
    }
  }
  return out;
}

/**
 * a − b on pairs (same seed, file, bitrate) per bitrate and pooled over bitrates ('all').
 * Only seeds, files and bitrates scored for both estimators enter.
 */
export function pairedSummaries(scores: readonly Fig1Score[], a: string, b: string): PairedSummary[] {
  const key = (s: Fig1Score): string => `${s.seed}\u0000${s.bitrate}\u0000${s.file}`;
  const bMap = new Map<string, Fig1Score>();
  for (const s of scores) if (s.estimator === b) bMap.set(key(s), s);
  const pairs: { seed: number; bitrate: number; a: Fig1Score; b: Fig1Score }[] = [];
  for (const s of scores) {
    if (s.estimator !== a) continue;
    const o = bMap.get(key(s));
    if (o) pairs.push({ seed: s.seed, bitrate: s.bitrate, a: s, b: o });
  }
  const bitrates = [...new Set(pairs.map((p) => p.bitrate))].sort((x, y) => x - y);
  const out: PairedSummary[] = [];
  for (const bitrate of [...bitrates, 'all' as const]) {
    const sel = pairs.filter((p) => bitrate === 'all' || p.bitrate === bitrate);
    if (sel.length === 0) continue;
    const seeds = [...new Set(sel.map((p) => p.seed))].sort((x, y) => x - y);
    for (const metric of FIG1_METRICS) {
      const d = sel.map((p) => p.a[metric] - p.b[metric]);
      out.push({
        a, b, bitrate, metric, n: d.length, meanDiff: mean(d),
        seedDiffs: seeds.map((seed) => ({ seed, meanDiff: mean(sel.filter((p) => p.seed === seed).map((p) => p.a[metric] - p.b[metric])) })),
        shareHigher: d.filter((x) => x > 0).length / d.length,
        shareTied: d.filter((x) => x === 0).length / d.length,
        shareLower: d.filter((x) => x < 0).length / d.length,
      });
    }
  }
  return out;
}
